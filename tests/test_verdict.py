"""Tests that check nothing verify nothing: each way a response's tests can pass a wrong
implementation (`return 0` for an adder) is rejected with its own reason, and tests that
do check the code keep a right one."""

from __future__ import annotations

import pytest

from repomill.verify import sandbox
from repomill.verify.mutants import mutants
from repomill.verify.runners import RUNNERS
from repomill.verify.sandbox import Limits
from repomill.verify.verdict import verify_response

pytestmark = pytest.mark.skipif(
    sandbox.bwrap_path() is None, reason="bubblewrap is not installed (.ci/run installs it)"
)
LIMITS = Limits(wall_seconds=20, cpu_seconds=20)
RIGHT = {
    "python": "def add(a, b):\n    return a + b\n",
    "javascript": "function add(a, b) {\n  return a + b;\n}\n",
    "typescript": "function add(a: number, b: number): number {\n  return a + b;\n}\n",
    "java": "class Calc {\n    static int add(int a, int b) { return a + b; }\n}\n",
    "rust": "fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n",
}
WRONG = {
    "python": "def add(a, b):\n    return 0\n",
    "javascript": "function add(a, b) {\n  return 0;\n}\n",
    "typescript": "function add(a: number, b: number): number {\n  return 0;\n}\n",
    "java": "class Calc {\n    static int add(int a, int b) { return 0; }\n}\n",
    "rust": "fn add(a: i32, b: i32) -> i32 {\n    0\n}\n",
}

# (language, tests, the reason a wrong implementation is rejected with)
HOLLOW = [
    ("python", "def test_add():\n    assert add(2, 2) == 4\n", "tests_failed"),  # never called
    ("python", "add(2, 2)\nprint('checked')\n", "vacuous_tests"),  # no assertion
    ("python", "import os\nos._exit(0)\nassert add(2, 2) == 4\n", "tests_incomplete"),
    ("python", "import sys\nsys.exit(0)\nassert add(2, 2) == 4\n", "vacuous_tests"),
    ("python", "import os, sys\nsys.excepthook = lambda *a: os._exit(0)\n"
               "assert add(2, 2) == 4\n", "tests_incomplete"),
    ("python", "import atexit, os\natexit.register(lambda: os._exit(0))\n"
               "assert add(2, 2) == 4\n", "tests_incomplete"),
    ("python", "try:\n    assert add(2, 2) == 4\nexcept AssertionError:\n    pass\n",
     "vacuous_tests"),
    ("python", "def add(a, b):\n    return a + b\n\nassert add(2, 2) == 4\n",
     "tests_redefine_solution"),
    ("python", "def test():\n    def add(a, b):\n        return a + b\n\n    assert add(2, 2) == 4\n"
               "\n\ntest()\n", "tests_redefine_solution"),  # its own add, inside a test
    ("python", "def test_add(numbers):\n    assert add(*numbers) == 4\n", "no_test_calls"),
    ("python", "import unittest\n\nclass T(unittest.TestCase):\n    def test_add(self):\n"
               "        self.assertEqual(add(2, 2), 4)\n", "tests_failed"),  # no unittest.main()
    ("javascript", "test('adds', () => {\n  if (add(2, 2) !== 4) throw new Error('add');\n});",
     "tests_failed"),
    ("javascript", "function testAdd() {\n  if (add(2, 2) !== 4) throw new Error('add');\n}",
     "tests_failed"),
    ("javascript", "process.exit(0);\nif (add(2, 2) !== 4) throw new Error('add');",
     "tests_incomplete"),
    ("javascript", "console.assert(add(2, 2) === 4);", "vacuous_tests"),
    ("javascript", "function add(a, b) { return a + b; }\nif (add(2, 2) !== 4) throw 1;",
     "tests_redefine_solution"),
    ("typescript", "it('adds', async () => {\n  if (add(2, 2) !== 4) throw new Error('add');\n});",
     "tests_failed"),
    ("java", "class Main {\n    public static void main(String[] args) { }\n"
             "    static void testAdd() { if (Calc.add(2, 2) != 4) throw new AssertionError(); }\n}",
     "tests_failed"),
    ("java", "System.exit(0);", "tests_incomplete"),
    ("rust", "// #[test]\nfn check() { assert_eq!(add(2, 2), 4); }", "no_test_calls"),
    ("rust", "#[test]\nfn quits() { std::process::exit(0); }", "tests_incomplete"),
]  # fmt: skip


def _available(language: str) -> None:
    if not RUNNERS[language].available():
        pytest.skip(f"no {language} runner here")


@pytest.mark.parametrize(("language", "tests", "reason"), HOLLOW)
def test_hollow_tests_do_not_verify_a_wrong_implementation(language, tests, reason):
    _available(language)
    verdict = verify_response(language, WRONG[language], tests, LIMITS)
    assert verdict.reason == reason, verdict


def test_a_helper_nested_in_the_solution_may_share_a_name_with_the_tests():
    """HumanEval/119's solution has a nested `check`, its tests a `check(candidate)`: the
    tests cannot reach the nested one, so they test the solution itself."""
    code = ("def add(a, b):\n    def check(x):\n        return x\n\n"
            "    return check(a) + b\n")  # fmt: skip
    tests = "def check(candidate):\n    assert candidate(2, 2) == 4\n\n\ncheck(add)\n"
    assert verify_response("python", code, tests, LIMITS).passed
    wrong = code.replace("check(a) + b", "check(a) - b")
    assert verify_response("python", wrong, tests, LIMITS).reason == "tests_failed"


GOOD_TESTS = {
    "python": "def test_add():\n    assert add(2, 2) == 4\n    assert add(-1, 1) == 0\n",
    "javascript": "test('adds', () => {\n  if (add(2, 2) !== 4) throw new Error('add');\n});",
    "typescript": "if (add(2, 2) !== 4) throw new Error('add');",
    "java": 'if (Calc.add(2, 2) != 4) throw new AssertionError("add");',
    "rust": "#[test]\nfn adds() { assert_eq!(add(2, 2), 4); }",
}


@pytest.mark.parametrize("language", sorted(GOOD_TESTS))
def test_real_tests_verify_the_right_implementation_and_reject_the_wrong(language):
    _available(language)
    right = verify_response(language, RIGHT[language], GOOD_TESTS[language], LIMITS)
    assert right.passed and right.mutants_run >= 1, right
    wrong = verify_response(language, WRONG[language], GOOD_TESTS[language], LIMITS)
    assert wrong.reason == "tests_failed"
    tail = wrong.detail()["stderr_tail"]
    assert len(tail) <= 300 and FAILURE_MESSAGE[language] in tail  # not a tail of stack frames


FAILURE_MESSAGE = {"python": "AssertionError", "javascript": "Error: add",
                   "typescript": "Error: add", "java": "AssertionError: add", "rust": "left"}  # fmt: skip


def test_unittest_main_and_async_tests_run():
    tests = ("import asyncio, unittest\n\nasync def test_async():\n    assert add(1, 1) == 2\n\n"
             "class T(unittest.TestCase):\n    def test_add(self):\n"
             "        self.assertEqual(add(2, 2), 4)\n\nunittest.main()\n")  # fmt: skip
    assert verify_response("python", RIGHT["python"], tests, LIMITS).passed
    assert verify_response("python", WRONG["python"], tests, LIMITS).reason == "tests_failed"


def test_the_sentinel_is_not_in_the_output():
    result = RUNNERS["python"].run("print('out')", "")
    assert result.passed and result.stdout == "out\n"


def test_mutants_replace_every_function_body():
    code = "class K:\n    def m(self):\n        return 1\n\n\ndef f(x):\n    return x\n"
    throws, default = mutants(code, "python")
    assert throws.count("raise NotImplementedError") == 2 and "return 1" not in throws
    assert default.count("return None") == 2
    assert mutants("X = 1\n", "python") == []
