"""Self-align (`recipe == "self-align"`): pass@1 of a generated implementation against the
row's own tests, run in the sandbox like the recipe's own verification (`verify_all`:
bubblewrap, limits, a verdict cache).

- The implementation: the first code block of the generated text in the row's language
  (an untagged block counts), taken from its `<implementation>` section when it has one.
- The tests: the `<tests>` block of the row's reference answer, as the recipe read it.
- Passed: the tests ran to their end and passed against it. The recipe's further check
  that the tests fail against broken copies of the code (`vacuous_tests`) judges the tests,
  not the implementation, so it does not count here.

`reason` is "" when passed, else `no_code_block`, `no_reference_tests`,
`unsupported_language` or the sandbox verdict's reason (tests_failed, syntax_error,
timeout, tests_redefine_solution…). Generated code runs only in the sandbox: without
bubblewrap, `require_sandbox` refuses (unless `unsafe_no_sandbox`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from repomill.evaluate.rows import reference_answer, share
from repomill.llm.parse import code_blocks, sections
from repomill.llm.types import Result
from repomill.recipes.self_align.generate import parse_response
from repomill.verify import sandbox
from repomill.verify.cached import Job, verify_all
from repomill.verify.runners import RUNNERS
from repomill.verify.sandbox import Limits
from repomill.verify.verdict import Verdict


@dataclass(frozen=True)
class PassResult:
    passed: bool
    reason: str = ""  # "" when passed

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def implementation(generated: str, language: str) -> str:
    """The generated implementation ("" when the text has no code block for it)."""
    found = sections(generated, ["implementation"]).get("implementation")
    text = found if found else generated
    blocks = code_blocks(text, language) or (code_blocks(text) if found else [])
    return next((b.code for b in blocks if b.code.strip()), "")


def reference_tests(row: dict[str, Any]) -> str:
    """The tests of the row's reference answer ("" when it has none)."""
    result = Result(text=reference_answer(row), finish_reason="stop")
    _, tests, reason = parse_response(result, row.get("language") or "")
    return "" if reason else tests


def pass_at_1(
    row: dict[str, Any],
    generated: str,
    limits: Limits,
    unsafe_no_sandbox: bool = False,
    cache_path: Path | None = None,
) -> PassResult:
    """Whether `generated` passes the row's tests in the sandbox."""
    return pass_at_1_many([(row, generated)], limits, 1, cache_path, unsafe_no_sandbox)[0]


def pass_at_1_many(pairs: Iterable[tuple[dict[str, Any], str]], limits: Limits,
                   workers: int = 1, cache_path: Path | None = None,
                   unsafe_no_sandbox: bool = False) -> list[PassResult]:  # fmt: skip
    """`pass_at_1` of each (row, generated) pair, in order: the runnable ones in parallel
    sandboxes (`workers`), each distinct job once, verdicts cached at `cache_path`."""
    results: list[PassResult | None] = []
    jobs: list[Job] = []
    for row, generated in pairs:
        job, reason = _job(row, generated)
        results.append(None if job else PassResult(False, reason))
        if job:
            jobs.append(job)
    if jobs:
        sandbox.require_sandbox(unsafe_no_sandbox)
    verdicts = iter(verify_all(jobs, limits, unsafe_no_sandbox, workers, cache_path))
    return [result or _passed(next(verdicts)) for result in results]


def _job(row: dict[str, Any], generated: str) -> tuple[Job | None, str]:
    language = row.get("language") or ""
    if language not in RUNNERS:
        return None, "unsupported_language"
    tests = reference_tests(row)
    if not tests:
        return None, "no_reference_tests"
    code = implementation(generated if isinstance(generated, str) else "", language)
    if not code:
        return None, "no_code_block"
    return Job(language, code, tests), ""


def _passed(verdict: Verdict) -> PassResult:
    if verdict.execution is not None and verdict.execution.passed:
        return PassResult(True)
    return PassResult(False, verdict.reason or "tests_failed")


def summarise(results: list[PassResult]) -> dict[str, Any]:
    """pass@1 (the share passed) and how many failed for each reason."""
    reasons = Counter(r.reason for r in results if not r.passed)
    return {"rows": len(results), "pass_at_1": share([r.passed for r in results]),
            "failed": dict(sorted(reasons.items()))}  # fmt: skip
