"""Whether a response's tests verify its code: they must not define the code's names
again, must run to their end in the sandbox and pass, and must fail against broken
versions of the code (see `mutants`). Each way to fall short is a reason of its own."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from repomill.verify import harness, mutants
from repomill.verify.runners import RUNNERS, Library
from repomill.verify.sandbox import Execution, Limits

STDERR_TAIL = 300  # characters of a failed run's stderr kept for the user
# A stack frame line of Node (`    at f (file:1:2)`) or Java (`\tat C.f(C.java:3)`): they
# follow the error's message there, so a tail of frames would say nothing.
_STACK_FRAME = re.compile(r"^[ \t]+at \S.*\n?", re.MULTILINE)


def stderr_tail(stderr: str) -> str:
    """The end of `stderr` without stack frames: what ends with the failure's message."""
    return _STACK_FRAME.sub("", stderr).rstrip()[-STDERR_TAIL:]


@dataclass(frozen=True)
class Verdict:
    reason: str  # "" when the tests verify the code
    execution: Execution | None = None  # the run against the code, where there was one
    mutants_run: int = 0

    @property
    def passed(self) -> bool:
        return not self.reason

    def detail(self) -> dict[str, str]:
        """What a rejected row keeps to say why: the run's own reason and its stderr's end."""
        if self.execution is None or self.execution.passed:
            return {}
        return {"error": self.execution.reason, "stderr_tail": stderr_tail(self.execution.stderr)}

    def to_json(self) -> dict[str, Any]:
        execution = asdict(self.execution) if self.execution is not None else None
        return {"reason": self.reason, "execution": execution, "mutants_run": self.mutants_run}

    @classmethod
    def from_json(cls, data: Any) -> Verdict:
        """The inverse of `to_json`; ValueError for anything else (a damaged cache row)."""
        if not isinstance(data, dict) or set(data) != {"reason", "execution", "mutants_run"}:
            raise ValueError("not a verdict")
        reason, mutants_run, run = data["reason"], data["mutants_run"], data["execution"]
        if not isinstance(reason, str) or type(mutants_run) is not int or mutants_run < 0:
            raise ValueError("not a verdict")
        return cls(reason, None if run is None else _execution(run), mutants_run)


_EXECUTION_FIELDS = {"status": (str,), "exit_code": (int, type(None)), "stdout": (str,),
                     "stderr": (str,), "seconds": (float, int), "reason": (str,)}  # fmt: skip


def _execution(data: Any) -> Execution:
    if not isinstance(data, dict) or set(data) != set(_EXECUTION_FIELDS):
        raise ValueError("not an execution")
    for name, types in _EXECUTION_FIELDS.items():
        if type(data[name]) not in types:  # type(): a bool is no exit code
            raise ValueError(f"execution {name}: {type(data[name]).__name__}")
    return Execution(**{**data, "seconds": float(data["seconds"])})


def verify_response(language: str, code: str, tests: str, limits: Limits,
                    unsafe_no_sandbox: bool = False,
                    library: Library | None = None) -> Verdict:  # fmt: skip
    reason = static_reason(language, code, tests)
    if reason:
        return Verdict(reason)
    runner = RUNNERS[language]
    execution = runner.run(code, tests, limits, unsafe_no_sandbox, library)
    if not execution.passed:
        return Verdict(execution_reason(execution), execution)
    broken = mutants.mutants(code, language)
    for mutant in broken:
        if runner.run(mutant, tests, limits, unsafe_no_sandbox, library).passed:
            return Verdict("vacuous_tests", execution, len(broken))
    return Verdict("", execution, len(broken))


def static_reason(language: str, code: str, tests: str) -> str:
    # a helper nested in the solution is out of the tests' reach: theirs can share its name
    reachable = mutants.defined_names(code, language, nested=False)
    if reachable & mutants.defined_names(tests, language):
        return "tests_redefine_solution"
    if harness.uncalled_tests(tests, language) is None:
        return "no_test_calls"
    return ""


def execution_reason(execution: Execution) -> str:
    if execution.passed:
        return ""
    if execution.status == "timeout":
        return "timeout"
    if execution.status == "killed" or execution.reason == "memory_limit":
        return "sandbox_violation" if execution.reason == "killed" else execution.reason
    if execution.reason in ("tests_incomplete", "no_test_calls"):
        return execution.reason
    text = execution.stderr + execution.stdout
    if "SyntaxError" in text or "error[E" in text or "error TS" in text or "error:" in text[:300]:
        return "syntax_error"
    return "tests_failed"
