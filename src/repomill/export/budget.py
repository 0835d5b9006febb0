"""The dataset's token budget: no row has more than `max_tokens` tokens (prompt and
completion, counted with the build's tokenizer), so a trainer's `max_length` set to it
cuts nothing. The commit recipe builds its examples to fit; for the others this step
leaves out a row over the budget (`over_token_budget`) rather than let a trainer cut it."""

from __future__ import annotations

from typing import Any

from repomill.engine.steps import Filter, Row

OVER_BUDGET = "over_token_budget"


class TokenBudget(Filter):
    name = "export.budget"
    label = "within the token budget"

    def __init__(self, max_tokens: int):
        self.max_tokens = max_tokens

    def reason(self, row: Row) -> str | None:
        return OVER_BUDGET if _tokens(row) > self.max_tokens else None

    def detail(self, row: Row, reason: str) -> dict[str, Any]:
        return {"prompt_tokens": row["prompt_tokens"], "tokens": _tokens(row),
                "max_tokens": self.max_tokens}  # fmt: skip


def _tokens(row: Row) -> int:
    return row["prompt_tokens"] + row["completion_tokens"]
