"""Quality filters: small named predicates over a sample's code, each returning a reason
to reject it or None. The code judged is what the sample teaches to write: its units' new
code (or, for recipes without units, the assistant's answer). Code counts as generated
when a generator's mark is in its leading comment block (a unit's, or each code block's
of an answer), not wherever the words occur."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from repomill.llm.parse import code_blocks
from repomill.sources.headers import marked_generated


class QualityConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_tokens: int = Field(32, ge=0, description="reject shorter samples")
    max_line_chars: int = Field(1000, ge=1, description="reject code with a longer line")
    min_alnum_share: float = Field(0.25, ge=0, le=1, description="letters+digits in the code")
    reject_generated: bool = Field(True, description="reject code marked as generated")


@dataclass(frozen=True)
class Predicate:
    name: str
    check: Callable[[dict[str, Any], str, QualityConfig], bool]  # True: reject


def taught_code(sample: dict[str, Any]) -> str:
    units = sample.get("units")
    if units:
        return "\n".join(u["new_code"] for u in units)
    return next((m["content"] for m in reversed(sample["messages"])
                 if m["role"] == "assistant"), "")  # fmt: skip


def _generated(sample: dict[str, Any]) -> bool:
    """A unit, or a code block of the answer, whose leading comments mark it generated."""
    units = sample.get("units")
    language = sample.get("language")
    if units:
        return any(marked_generated(u["new_code"], u.get("path"), language) for u in units)
    answer = taught_code(sample)
    blocks = [(b.code, b.language or language) for b in code_blocks(answer)] or [(answer, language)]
    return any(marked_generated(code, None, lang) for code, lang in blocks)


def _alnum_share(code: str) -> float:
    visible = [c for c in code if not c.isspace()]
    return sum(c.isalnum() for c in visible) / len(visible) if visible else 1.0


PREDICATES = (
    Predicate("too_few_tokens",
              lambda s, code, c: s.get("num_tokens", c.min_tokens) < c.min_tokens),
    Predicate("line_too_long",
              lambda s, code, c: any(len(line) > c.max_line_chars for line in code.splitlines())),
    Predicate("low_alphanumeric_share",
              lambda s, code, c: _alnum_share(code) < c.min_alnum_share),
    Predicate("generated_code",
              lambda s, code, c: c.reject_generated and _generated(s)),
)  # fmt: skip


def quality_reason(sample: dict[str, Any], config: QualityConfig) -> str | None:
    code = taught_code(sample)
    for predicate in PREDICATES:
        if predicate.check(sample, code, config):
            return predicate.name
    return None
