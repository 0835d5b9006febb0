"""The program that runs a response's tests, and what a pass means.

A pass is: exit code 0 *and* a per-run sentinel on stdout. The harness reads the sentinel
from stdin before the generated code starts, so that code cannot know it, and prints it
only after the tests ran to their end: an early `os._exit(0)`, an exit from an exception
hook or a swallowed crash never reads as a pass (`tests_incomplete`). Test functions the
tests define but never call are called by the harness (Python `test_*`, JS/TS `test()` /
`it()` and `function test…()`, Java `static void test…()`); one it cannot call (it needs
arguments) rejects the response as `no_test_calls`, and so does a Rust run of 0 tests (a
Rust run whose libtest summary is missing is `tests_incomplete`)."""

from __future__ import annotations

import ast
import re
from dataclasses import replace

from repomill.verify.sandbox import Execution

SOLUTION = "solution.py"  # the Python code and tests, run by the harness as __main__

# The solution becomes __main__ (a plain module object: runpy would import 8 ms of modules).
_PYTHON = """import sys
{path_setup}

def _run(uncalled):
    sentinel = sys.stdin.readline().strip()
    module = type(sys)("__main__")
    module.__file__ = {solution!r}
    sys.modules["__main__"] = module
    with open({solution!r}, encoding="utf-8") as file:
        code = compile(file.read(), {solution!r}, "exec")
    exited = False
    try:
        exec(code, module.__dict__)
    except SystemExit as stop:  # unittest.main() ends this way after running the cases
        if stop.code not in (0, None):
            raise
        exited = True
    namespace = module.__dict__
    unittest = sys.modules.get("unittest")  # only tests that import it can define cases
    cases = not exited and unittest and [
        value for value in namespace.values() if isinstance(value, type)
        and issubclass(value, unittest.TestCase) and value.__module__ == "__main__"]
    if cases:
        suite = unittest.TestSuite(unittest.defaultTestLoader.loadTestsFromTestCase(case)
                                   for case in cases)
        if not unittest.TextTestRunner(stream=sys.stderr).run(suite).wasSuccessful():
            sys.exit(1)
    for name in uncalled:
        result = namespace[name]()
        if hasattr(result, "__await__"):
            import asyncio

            asyncio.run(result)
    sys.stdout.flush()
    sys.stdout.write("\\n" + sentinel + "\\n")
    sys.stdout.flush()


_run({uncalled!r})
"""

_JS_PRELUDE = """const __repomillFinish = ((sentinel) => () => {
  process.stdout.write("\\n" + sentinel + "\\n");
})(require("fs").readFileSync(0, "utf8").trim());
const __repomillTests = [];
globalThis.test = globalThis.it = (name, fn) => { __repomillTests.push(fn); };
globalThis.describe = (name, fn) => { fn(); };
"""
_JS_EPILOGUE = """;(async () => {
  for (const fn of __repomillTests) await fn();
%s  __repomillFinish();
})().catch((error) => { console.error(error); process.exit(1); });
"""

_JAVA_HARNESS = """public class RepomillHarness {
    public static void main(String[] args) throws Throwable {
        String sentinel = new java.io.BufferedReader(
            new java.io.InputStreamReader(System.in)).readLine();
        Main.main(args);
%s        System.out.println();
        System.out.println(sentinel);
        System.out.flush();
    }
}

"""
# The shell reads the sentinel before the test binary starts (which gets no stdin).
RUST_COMMAND = ("read -r sentinel; /usr/bin/rustc --edition 2021 --test -o /tmp/tests main.rs "
                "&& /tmp/tests --test-threads 1 --nocapture </dev/null "
                '&& printf "\\n%s\\n" "$sentinel"')  # fmt: skip
_RUST_SUMMARY = re.compile(r"^test result: ok\. (\d+) passed", re.M)


def program(language: str, name: str, code: str, tests: str,
            import_path: str | None = None) -> dict[str, str]:  # fmt: skip
    """The files to put in the sandbox's /work; `name` is the runner's program file.
    `import_path`: a folder the Python solution can import from."""
    uncalled = uncalled_tests(tests, language) or []
    if language == "python":
        solution = f"{code.rstrip()}\n\n\n{tests.rstrip()}\n"
        path_setup = f"sys.path.insert(0, {import_path!r})\n" if import_path else ""
        main = _PYTHON.format(solution=SOLUTION, uncalled=uncalled, path_setup=path_setup)
        return {name: main, SOLUTION: solution}
    if language in ("javascript", "typescript"):
        calls = "".join(f"  await {test}();\n" for test in uncalled)
        return {name: f"{_JS_PRELUDE}\n{code.rstrip()}\n\n{tests.rstrip()}\n\n"
                      f"{_JS_EPILOGUE % calls}"}  # fmt: skip
    if language == "java":
        calls = "".join(f"        Main.{test}();\n" for test in uncalled)
        return {name: _JAVA_HARNESS % calls + _java_program(code, tests)}
    return {name: _rust_program(code, tests)}


def uncalled_tests(tests: str, language: str) -> list[str] | None:
    """Test functions the tests define and never call, for the harness to call; None when
    one of them cannot be called without arguments."""
    if language == "python":
        return _python_uncalled(tests)
    if language in ("javascript", "typescript"):
        pattern = r"^\s*(?:export\s+)?(?:async\s+)?function\s*\*?\s*(test\w*)\s*\(([^)]*)\)"
    elif language == "java":
        pattern = r"\bstatic\s+void\s+(test\w*)\s*\(([^)]*)\)"
    else:
        return []
    found = []
    for match in re.finditer(pattern, tests, re.M):
        test, parameters = match.group(1), match.group(2).strip()
        if len(re.findall(rf"\b{test}\b", tests)) > 1:
            continue  # called (or passed on) somewhere
        if parameters:
            return None
        found.append(test)
    return found


def _python_uncalled(tests: str) -> list[str] | None:
    try:
        tree = ast.parse(tests)
    except (SyntaxError, ValueError):
        return []  # the run reports the syntax error
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    found = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and \
                node.name.startswith("test") and node.name not in used:  # fmt: skip
            arguments = node.args
            positional = len(arguments.args) + len(arguments.posonlyargs)
            keywords = [d for d in arguments.kw_defaults if d is None]  # keyword-only, no default
            if positional > len(arguments.defaults) or keywords:
                return None  # pytest fixtures or parameters: nothing to call it with
            found.append(node.name)
    return found


def finished(execution: Execution, sentinel: str, language: str) -> Execution:
    """The run as a verdict: a pass without the sentinel is `tests_incomplete`; a Rust pass
    of no tests is `no_test_calls`. The sentinel is taken out of the output."""
    if not execution.passed:
        return execution
    marker = f"\n{sentinel}\n"
    if marker not in execution.stdout:
        return replace(execution, status="failed", reason="tests_incomplete")
    head, _, tail = execution.stdout.partition(marker)
    stdout = head + ("\n" if head and not head.endswith("\n") else "") + tail
    if language == "rust":  # libtest's summary: missing when a test exited the binary
        counts = [int(n) for n in _RUST_SUMMARY.findall(stdout)]
        if not counts or not any(counts):
            reason = "no_test_calls" if counts else "tests_incomplete"
            return replace(execution, status="failed", reason=reason, stdout=stdout)
    return replace(execution, stdout=stdout)


def _java_program(code: str, tests: str) -> str:
    """A `Main` class holding the tests (written by the model, or wrapped around its
    statements), then the implementation's classes."""
    if re.search(r"\bclass\s+Main\b", tests):
        return f"{tests.rstrip()}\n\n{code.rstrip()}\n"
    body = "\n".join("        " + line for line in tests.strip().splitlines())
    return (f"class Main {{\n    public static void main(String[] args) throws Exception "
            f"{{\n{body}\n    }}\n}}\n\n{code.rstrip()}\n")  # fmt: skip


def _rust_program(code: str, tests: str) -> str:
    """Tests outside a `#[cfg(test)]` module are wrapped in one `#[test]` function."""
    if "#[test]" not in tests:
        body = "\n".join("    " + line for line in tests.strip().splitlines())
        tests = f"#[test]\nfn generated_tests() {{\n{body}\n}}"
    return f"#![allow(dead_code)]\n{code.rstrip()}\n\n{tests.rstrip()}\n"
