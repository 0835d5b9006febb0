"""Few-shot examples for each self-align prompt, given to the model as earlier turns of the
chat (a user turn from the same template, then the answer). Measured with the 0.5B Qwen
model on 8 seeds: with the example pasted into the prompt, 6 of 8 concept lists repeated
the example's; as an earlier exchange, 7 of 8 named the seed's own concepts, all in the
asked format. The examples' tasks differ from each other, and an instruction that asks for one
of their functions again is rejected (`copies_example`)."""

from __future__ import annotations

import re

CONCEPTS = [
    ({"language": "python", "code":
      "def moving_average(values: list[float], window: int) -> list[float]:\n"
      '    """Averages of each full window of consecutive values."""\n'
      "    sums, total = [], 0.0\n"
      "    for i, value in enumerate(values):\n"
      "        total += value\n"
      "        if i >= window:\n"
      "            total -= values[i - window]\n"
      "        if i + 1 >= window:\n"
      "            sums.append(total / window)\n"
      "    return sums"},
     "<concepts>sliding window, running sum, list iteration with enumerate, floating-point "
     "division</concepts>"),
    ({"language": "python", "code":
      "def parse_header(line: str) -> tuple[str, str]:\n"
      '    """Split an HTTP header line into its lower-cased name and stripped value."""\n'
      '    name, sep, value = line.partition(":")\n'
      "    if not sep or not name.strip():\n"
      '        raise ValueError(f"not a header: {line!r}")\n'
      "    return name.strip().lower(), value.strip()"},
     "<concepts>string partitioning, input validation, raising exceptions, tuple return "
     "values, case normalization</concepts>"),
]  # fmt: skip

# Written without a language's syntax: they serve instructions in every target language.
INSTRUCTIONS = [
    ({"concepts": "dictionary grouping, sorting with a key function, string normalization",
      "category": "data transformation", "difficulty": "medium"},
     "<instruction>Write a function `group_anagrams` that takes a list of words and returns "
     "the groups of words that are anagrams of each other, ignoring letter case. Each group "
     "keeps its words in input order, and the groups are ordered by the position of their "
     "first word. An empty list gives an empty list.</instruction>"),
    ({"concepts": "stack, string scanning, early return",
      "category": "validation and edge cases", "difficulty": "easy"},
     "<instruction>Write a function `is_balanced` that takes a string and returns whether "
     "every bracket in it, of the kinds (), [] and {}, is closed in the right order. Other "
     "characters are ignored, and an empty string is balanced.</instruction>"),
]  # fmt: skip

# A grounded instruction's example: a made-up repository function, a task that uses it.
GROUNDED_INSTRUCTIONS = [
    ({"api": "from inventory.units import to_grams\n\n"
             "def to_grams(amount: float, unit: str) -> float:\n"
             "    \"\"\"The amount in grams; unit is one of g, kg, lb, oz.\"\"\"\n    ...",
      "function": "to_grams", "concepts": "unit conversion, summing, input validation",
      "category": "data transformation", "difficulty": "easy"},
     "<instruction>Write a function `total_weight` that takes a list of (amount, unit) "
     "pairs and returns their total weight in kilograms, converting each pair with "
     "`to_grams`. An empty list weighs 0.0, and a negative amount raises ValueError."
     "</instruction>"),
]  # fmt: skip

# No error-path test: the 1.5B model copied one into answers whose tasks raise nothing.
_TASK = ("Write a function `digit_sum` that returns the sum of the decimal digits of a "
         "non-negative integer.")  # fmt: skip
_REASONING = ("Take the last digit with a remainder by 10 and drop it with a division, "
              "until nothing is left.")  # fmt: skip
_EXPLANATION = "Each loop step adds the lowest digit and removes it; 0 sums to 0."

# The tests of the JavaScript and the TypeScript answer.
_JS_TESTS = ("if (digitSum(0) !== 0) throw new Error('0');\n"
             "if (digitSum(1234) !== 10) throw new Error('1234');\n"
             "if (digitSum(90009) !== 18) throw new Error('90009');")  # fmt: skip

# (code, tests) per language, for _TASK.
_ANSWERS = {
    "python": ("def digit_sum(n: int) -> int:\n    total = 0\n    while n:\n"
               "        n, digit = divmod(n, 10)\n        total += digit\n    return total",
               "assert digit_sum(0) == 0\nassert digit_sum(7) == 7\n"
               "assert digit_sum(1234) == 10\nassert digit_sum(90009) == 18"),
    "typescript": ("function digitSum(n: number): number {\n  let total = 0;\n"
                   "  for (; n > 0; n = Math.floor(n / 10)) total += n % 10;\n"
                   "  return total;\n}",
                   _JS_TESTS),
    "javascript": ("function digitSum(n) {\n  let total = 0;\n"
                   "  for (; n > 0; n = Math.floor(n / 10)) total += n % 10;\n"
                   "  return total;\n}",
                   _JS_TESTS),
    "rust": ("fn digit_sum(mut n: u64) -> u64 {\n    let mut total = 0;\n    while n > 0 {\n"
             "        total += n % 10;\n        n /= 10;\n    }\n    total\n}",
             "assert_eq!(digit_sum(0), 0);\nassert_eq!(digit_sum(1234), 10);\n"
             "assert_eq!(digit_sum(90009), 18);"),
    "java": ("class Solution {\n    static int digitSum(int n) {\n        int total = 0;\n"
             "        for (; n > 0; n /= 10) total += n % 10;\n        return total;\n    }\n}",
             'if (Solution.digitSum(0) != 0) throw new AssertionError("0");\n'
             'if (Solution.digitSum(1234) != 10) throw new AssertionError("1234");\n'
             'if (Solution.digitSum(90009) != 18) throw new AssertionError("90009");'),
}  # fmt: skip


def responses(language: str) -> list[tuple[dict, str]]:
    code, tests = _ANSWERS[language]
    answer = (f"<reasoning>{_REASONING}</reasoning>\n<implementation>\n```{language}\n{code}\n"
              f"```\n</implementation>\n<explanation>{_EXPLANATION}</explanation>\n<tests>\n"
              f"```{language}\n{tests}\n```\n</tests>")  # fmt: skip
    return [({"language": language, "instruction": _TASK}, answer)]


_NAMED = re.compile(r"`(\w+)")


def _names(text: str) -> set[str]:
    """Backticked names, case and underscores aside (`digit_sum` is `digitSum`)."""
    return {name.replace("_", "").lower() for name in _NAMED.findall(text)}


def copies_example(instruction: str) -> bool:
    """Whether `instruction` asks for a function an example instruction or task names."""
    answers = [answer for _, answer in INSTRUCTIONS + GROUNDED_INSTRUCTIONS]
    shown = _names(" ".join([*answers, _TASK]))
    return bool(_names(instruction) & shown)
