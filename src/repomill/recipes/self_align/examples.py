"""Few-shot example responses, one per language, in the sections the verifier reads."""

from __future__ import annotations

_EXAMPLES = {
    "python": ('Write `clamp(x: int, lo: int, hi: int) -> int` that limits x to [lo, hi].',
               "def clamp(x: int, lo: int, hi: int) -> int:\n    return max(lo, min(x, hi))",
               "assert clamp(5, 0, 3) == 3\nassert clamp(-1, 0, 3) == 0\n"
               "assert clamp(2, 0, 3) == 2"),
    "typescript": ("Write `clamp(x: number, lo: number, hi: number): number` that limits x.",
                   "function clamp(x: number, lo: number, hi: number): number {\n"
                   "  return Math.max(lo, Math.min(x, hi));\n}",
                   "if (clamp(5, 0, 3) !== 3) throw new Error('upper');\n"
                   "if (clamp(-1, 0, 3) !== 0) throw new Error('lower');"),
    "javascript": ("Write `clamp(x, lo, hi)` that limits x to [lo, hi].",
                   "function clamp(x, lo, hi) {\n  return Math.max(lo, Math.min(x, hi));\n}",
                   "if (clamp(5, 0, 3) !== 3) throw new Error('upper');\n"
                   "if (clamp(-1, 0, 3) !== 0) throw new Error('lower');"),
    "rust": ("Write `fn clamp(x: i32, lo: i32, hi: i32) -> i32` that limits x to [lo, hi].",
             "fn clamp(x: i32, lo: i32, hi: i32) -> i32 {\n    x.max(lo).min(hi)\n}",
             "assert_eq!(clamp(5, 0, 3), 3);\nassert_eq!(clamp(-1, 0, 3), 0);"),
    "java": ("Write `static int clamp(int x, int lo, int hi)` in class `Solution`.",
             "class Solution {\n    static int clamp(int x, int lo, int hi) {\n"
             "        return Math.max(lo, Math.min(x, hi));\n    }\n}",
             "if (Solution.clamp(5, 0, 3) != 3) throw new AssertionError(\"upper\");"),
}  # fmt: skip


def example_response(language: str) -> str:
    task, code, tests = _EXAMPLES[language]
    fence = language
    return (
        f"Example task: {task}\nExample answer:\n<reasoning>Bound x from below, then "
        f"from above.</reasoning>\n<implementation>\n```{fence}\n{code}\n```\n"
        f"</implementation>\n<explanation>The inner call caps x at hi, the outer raises "
        f"it to lo.</explanation>\n<tests>\n```{fence}\n{tests}\n```\n</tests>"
    )
