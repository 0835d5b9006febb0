"""Checked generation: ask, check every answer, and ask again where an answer fails — the
conversation, the failed answer and what was wrong with it as a follow-up user turn — at
most `retries` more times; then each item's last answer is accepted or rejected. Every
round is one batch (the items still failing) through `LLM.generate`, so it is cached and
fanned out like any call, and a re-run asks nothing it asked before.

A retry shows the model the whole exchange so far (every earlier answer and its feedback),
so it is never the same request twice — with greedy decoding a request repeated would be
the answer repeated, and a cache hit — and it grows by one answer and one feedback turn a
round. The caller's `judge` decides, for each answer, whether it is accepted and, if not,
what to say (None: do not ask again, e.g. for a call that failed)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from repomill.llm.client import LLM
from repomill.llm.types import Request, Result

NO_TEXT = "(no usable answer)"  # the assistant turn of an answer whose text was dropped


@dataclass(frozen=True)
class Verdict:
    ok: bool
    feedback: str | None = None  # the follow-up turn when not ok; None: no retry
    detail: Any = None  # the judge's own record of the answer (e.g. its scores)


@dataclass
class Tries:
    """One item's answers in order, each with its verdict; the last is the final one."""

    answers: list[tuple[Result, Verdict]] = field(default_factory=list)

    @property
    def final(self) -> tuple[Result, Verdict]:
        return self.answers[-1]

    @property
    def accepted(self) -> bool:
        return self.final[1].ok

    @property
    def count(self) -> int:
        return len(self.answers)


def generate_checked(
    llm: LLM,
    conversations: list[list[dict[str, str]]],
    judge: Callable[[int, Result], Verdict],
    retries: int,
    **settings: Any,
) -> list[Tries]:
    """Each conversation's tries (see the module docstring); `judge(i, result)` checks an
    answer to conversation i; `settings` are the Request's (temperature, max_tokens…)."""
    tries = [Tries() for _ in conversations]
    asking = list(range(len(conversations)))
    follow_up: dict[int, list[dict[str, str]]] = {i: [] for i in asking}
    for _ in range(retries + 1):
        if not asking:
            break
        requests = [Request.chat([*conversations[i], *follow_up[i]], **settings)
                    for i in asking]  # fmt: skip
        still = []
        for i, (result,) in zip(asking, llm.generate(requests), strict=True):
            verdict = judge(i, result)
            tries[i].answers.append((result, verdict))
            if not verdict.ok and verdict.feedback is not None:
                follow_up[i] += [{"role": "assistant", "content": result.text or NO_TEXT},
                                 {"role": "user", "content": verdict.feedback}]  # fmt: skip
                still.append(i)
        asking = still
    return tries
