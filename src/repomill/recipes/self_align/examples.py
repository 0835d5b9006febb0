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

# The grounded examples: a made-up repository function (`TO_GRAMS`, in
# `inventory/units.py`), a task that uses it and an answer that imports it.
_TO_GRAMS_DOC = ("def to_grams(amount: float, unit: str) -> float:\n"
                 '    """The amount in grams; unit is one of g, kg, lb, oz."""\n')  # fmt: skip
TO_GRAMS = (_TO_GRAMS_DOC + "    grams = {'g': 1.0, 'kg': 1000.0, 'lb': 453.59237, "
            "'oz': 28.349523125}\n    return amount * grams[unit]\n")  # fmt: skip
_TO_GRAMS_API = f"from inventory.units import to_grams\n\n{_TO_GRAMS_DOC}    ..."
_GROUNDED_TASK = ("Write a function `total_weight` that takes a list of (amount, unit) pairs "
                  "and returns their total weight in kilograms, converting each pair with "
                  "`to_grams`. An empty list weighs 0.0.")  # fmt: skip
GROUNDED_INSTRUCTIONS = [
    ({"api": _TO_GRAMS_API, "function": "to_grams",
      "concepts": "unit conversion, summing, generator expressions",
      "category": "data transformation", "difficulty": "easy"},
     f"<instruction>{_GROUNDED_TASK}</instruction>"),
]  # fmt: skip
_GROUNDED_ANSWER = (
    "<reasoning>Convert each pair to grams with the repository's `to_grams`, add them up, "
    "then divide by 1000.</reasoning>\n<implementation>\n```python\n"
    "from inventory.units import to_grams\n\n\n"
    "def total_weight(items: list[tuple[float, str]]) -> float:\n"
    "    return sum(to_grams(amount, unit) for amount, unit in items) / 1000\n```\n"
    "</implementation>\n<explanation>`to_grams` does each conversion; the sum of grams over "
    "1000 is kilograms.</explanation>\n<tests>\n```python\n"
    "assert total_weight([]) == 0.0\nassert total_weight([(500, 'g'), (2, 'kg')]) == 2.5\n"
    "assert abs(total_weight([(1, 'lb')]) - 0.45359237) < 1e-9\n```\n</tests>")  # fmt: skip


def grounded_responses() -> list[tuple[dict, str]]:
    return [({"language": "python", "instruction": _GROUNDED_TASK, "api": _TO_GRAMS_API},
             _GROUNDED_ANSWER)]  # fmt: skip


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
