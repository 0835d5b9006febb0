"""The two records a recipe yields: a `Sample` (one training row) and a `Rejected` (one row
of the rejected output, with why). Both become plain rows only here, where their columns
are checked against the dataset's Arrow schema: a misspelt or missing column is an error,
not a silent null."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from repomill.export.schema import COMMON, DERIVED, REJECTED
from repomill.tokens import TokenCounter, count_chat


class SchemaMismatch(ValueError):
    """A recipe's rows do not have the columns it declared (a bug in the recipe)."""


@dataclass(frozen=True)
class Sample:
    """One training sample: the columns every recipe shares, the recipe's own (`columns`,
    as it declared them), and its place in the splits: rows are cut into train /
    validation / test by `time` (oldest first), and no `group` spans two splits."""

    id: str
    recipe: str
    task: str
    messages: list[dict[str, str]]
    language: str
    repo: str
    commit: str
    evidence: list[dict[str, Any]]
    meta: dict[str, Any]
    time: int
    group: str
    columns: dict[str, Any] = field(default_factory=dict)

    def row(self, counter: TokenCounter) -> dict[str, Any]:
        """The row, with the prompt / completion split of `messages` and their tokens."""
        shared = {name: getattr(self, name) for name, _ in COMMON if name not in DERIVED}
        prompt, completion = self.messages[:-1], self.messages[-1:]
        derived = {"prompt": prompt, "completion": completion,
                   "prompt_tokens": count_chat(prompt, counter),
                   "completion_tokens": count_chat(completion, counter)}  # fmt: skip
        return {**shared, "meta": to_json(self.meta), **derived, **self.columns}


@dataclass(frozen=True)
class Rejected:
    """A row left out, and why: `reason` (a short code), the `stage` that decided, and
    `meta` (what identifies the row, and what explains the reason)."""

    id: str
    recipe: str
    commit: str
    reason: str
    stage: str
    meta: dict[str, Any] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        return {"id": self.id, "recipe": self.recipe, "commit": self.commit,
                "reason": self.reason, "stage": self.stage, "meta": to_json(self.meta)}  # fmt: skip

    @classmethod
    def of_row(cls, row: dict[str, Any], reason: str, stage: str,
               detail: dict[str, Any]) -> Rejected:  # fmt: skip
        """A whole sample row dropped by a later step: its meta, plus the detail of why."""
        meta = {**json.loads(row.get("meta") or "{}"), **detail}
        return cls(row["id"], row["recipe"], row.get("commit", ""), reason, stage, meta)


def to_json(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def check_columns(row: dict[str, Any], schema: pa.Schema) -> dict[str, Any]:
    """`row` when its columns are exactly the schema's, else SchemaMismatch naming them."""
    if row.keys() != set(schema.names):
        missing = sorted(set(schema.names) - row.keys())
        extra = sorted(row.keys() - set(schema.names))
        raise SchemaMismatch(f"recipe {row.get('recipe')!r}: columns declared but not filled "
                             f"{missing}, filled but not declared {extra}")  # fmt: skip
    return row


assert [f.name for f in REJECTED] == list(Rejected.__dataclass_fields__)
