"""Strict cited inference on free repo-QA rows (`task` `qa` or `design`): each row's prompt
is answered; an answer whose citations are not valid — the citation, existence and quote
checks of `free_answers` (`citations_ok`), or a reply that was cut at the token limit or
longer than it allows — is asked again, the answer and what was wrong with it sent back
as a follow-up user turn (`llm.checked`, the template `repo_qa/cited_retry`), at most
`retries` times; then the row's last answer is accepted or rejected. A call that failed
outright (the LLM layer has retried it already) is rejected as `failed`, not asked again.
Identifiers are measured on the answers (`hallucinating`), not a ground to retry.

Per task, `summarise` gives the shares of rows accepted (at the first try, after retries)
and rejected, the mean number of tries, `free_answers.summarise` of each row's final
answer (accepted or not), and the reasons the rejected rows' final answers failed."""

from __future__ import annotations

from collections import Counter
from typing import Any

from repomill.evaluate import free_answers
from repomill.evaluate.free_answers import FreeAnswerScore
from repomill.evaluate.grounds import REPOSITORY, Grounds, Sources
from repomill.evaluate.rows import mean, share
from repomill.llm.checked import Tries, Verdict, generate_checked
from repomill.llm.client import LLM
from repomill.llm.prompts import render
from repomill.llm.types import Result

FREE_TASKS = frozenset({"qa", "design"})
EXPLAINED = {
    "empty_answer": "the answer is empty",
    "uncited_answer": "a claim cites no chunk (or the answer cites none at all)",
    "malformed_citation": "a citation is not written as [chunk id] or [chunk id:start-end]",
    "citation_not_in_evidence": "a citation names a chunk, or lines, that the question "
    "does not rest on",
    "unknown_chunk": "a cited chunk id does not exist in the repository at this commit",
    "lines_outside_chunk": "cited lines lie outside the chunk",
    "stale_chunk": "a cited chunk is not the file's code at this commit",
    "unreadable_evidence": "a cited chunk's file cannot be read",
    "too_many_citations": "the answer cites too many chunks",
    "altered_snippet": "a quoted code block is not exactly lines of a range the answer cites",
    "truncated": "the answer was cut off at the token limit: answer more briefly",
    "too_long": "the answer was longer than the token limit allows: answer more briefly",
}


def is_free(row: dict[str, Any]) -> bool:
    return row.get("recipe") == "repo-qa" and row.get("task") in FREE_TASKS


def answer_free(llm: LLM, rows: list[dict[str, Any]], grounds: list[Grounds], retries: int,
                max_new_tokens: int) -> list[Tries]:  # fmt: skip
    """Each free row's tries, strict cited inference (see the module docstring)."""

    def judge(i: int, result: Result) -> Verdict:
        return judged(rows[i], result, grounds[i])

    prompts = [list(row.get("prompt") or row["messages"][:-1]) for row in rows]
    return generate_checked(llm, prompts, judge, retries, temperature=0.0,
                            max_tokens=max_new_tokens)  # fmt: skip


def judged(row: dict[str, Any], result: Result, grounds: Grounds) -> Verdict:
    """Whether an answer to `row` is accepted; its checks' scores as the detail."""
    unusable = _unusable(result)
    if unusable is not None:
        score = _unusable_score(unusable, result.error or "")
        return Verdict(False, None if unusable == "failed" else _feedback(score), score)
    score = free_answers.free_answer_checks(row, result.text, grounds.chunks_by_id,
                                            grounds.read, grounds.known)  # fmt: skip
    return Verdict(score.citations_ok, None if score.citations_ok else _feedback(score), score)


def _unusable(result: Result) -> str | None:
    if result.too_long:
        return "too_long"
    if not result.ok:
        return "failed"
    return "truncated" if result.truncated else None


def _unusable_score(reason: str, detail: str) -> FreeAnswerScore:
    return FreeAnswerScore(0, 0, 0, 0, 0, 0, (), (reason,), (detail,))


def _feedback(score: FreeAnswerScore) -> str:
    problems = [{"reason": reason, "detail": detail, "explanation": EXPLAINED.get(reason, reason)}
                for reason, detail in zip(score.reasons, score.details, strict=True)
                if reason not in free_answers.IDENTIFIER_REASONS]  # fmt: skip
    return render("repo_qa/cited_retry", problems=problems)


def summarise(tries: list[Tries], checked: set[str]) -> dict[str, Any]:
    """The acceptance shares, mean tries, the final answers' check figures and the
    rejected rows' reasons; `checked`: how the rows were checked (grounds.REPOSITORY,
    ROW_EVIDENCE), identifiers measured only against the repository."""
    accepted = [t.accepted for t in tries]
    first = [t.answers[0][1].ok for t in tries]
    finals = [t.final[1].detail for t in tries]
    figures = free_answers.summarise(finals)
    if checked != {REPOSITORY}:
        figures["hallucinating"] = None  # not measured (for some rows or all)
    rejected = Counter(reason for t in tries if not t.accepted
                       for reason in dict.fromkeys(t.final[1].detail.reasons)
                       if reason not in free_answers.IDENTIFIER_REASONS)  # fmt: skip
    return {
        "rows": len(tries),
        "accepted": share(accepted),
        "accepted_first_try": share(first),
        "accepted_after_retries": share([a and not f for a, f in zip(accepted, first,
                                                                      strict=True)]),
        "rejected": share([not a for a in accepted]),
        "mean_tries": mean([t.count for t in tries]),
        **{key: value for key, value in figures.items() if key != "rows"},
        "rejected_reasons": dict(sorted(rejected.items())),
        "checked": ", ".join(sorted(checked)),
    }  # fmt: skip


def scored(llm: LLM, rows: list[dict[str, Any]], sources: Sources, retries: int,
           max_new_tokens: int) -> dict[str, dict[str, Any]]:  # fmt: skip
    """Per task (`repo-qa:qa`, `repo-qa:design`): the summary of its free rows."""
    free = [row for row in rows if is_free(row)]
    grounds = [sources.grounds(row) for row in free]
    tries = answer_free(llm, free, grounds, retries, max_new_tokens) if free else []
    by_task: dict[str, list[tuple[Tries, str]]] = {}
    for row, row_grounds, row_tries in zip(free, grounds, tries, strict=True):
        by_task.setdefault(f"repo-qa:{row['task']}", []).append((row_tries, row_grounds.checked))
    return {task: summarise([t for t, _ in pairs], {c for _, c in pairs})
            for task, pairs in sorted(by_task.items())}  # fmt: skip
