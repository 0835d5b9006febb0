"""What mining one commit yields: a rejection (`status` is the reason) or a candidate
for examples (`status` "ok"), as the `mine_commits` stage caches it (JSON)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from repomill.code.blob_index import FileFacts
from repomill.recipes.commits.messages import clean_message
from repomill.sources.git_history import CommitMeta

OK = "ok"


@dataclass
class MinedCommit:
    sha: str
    parent: str | None
    time: int
    message: str  # cleaned (clean_message)
    status: str = OK
    # tree paths left out of everything below (is_safe_path), counted by the recipe
    unsafe_paths: list[str] = field(default_factory=list)
    # every changed path, [status, old_path, new_path, new_blob], so the index can follow
    files: list[list] = field(default_factory=list)
    # the facts of the new blobs mining parsed, so the index need not parse them again
    hints: dict[str, FileFacts] = field(default_factory=dict)
    # and their symbol tables (`index_blob`'s symbols, with chunk ids and texts)
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Unit JSON + old_file (the file's path at the parent, "" for an added file), language
    units: list[dict[str, Any]] = field(default_factory=list)
    file_skips: dict[str, int] = field(default_factory=dict)  # changed files left out, by reason
    # why the message cannot be the instruction, mined anyway for a model to write one
    message_issue: str = ""

    @classmethod
    def of(cls, meta: CommitMeta) -> MinedCommit:
        return cls(meta.sha, meta.parent, meta.time, clean_message(meta.message))

    @property
    def ok(self) -> bool:
        return self.status == OK

    def reject(self, reason: str) -> MinedCommit:
        self.status = reason
        return self

    def to_json(self) -> dict[str, Any]:
        """Its fields as they are (plain JSON data already; not copied: `asdict`'s deep
        copy of every unit and import was a fifth of mining's time), hints as dicts."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["hints"] = {blob: facts.to_json() for blob, facts in self.hints.items()}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MinedCommit:
        hints = {blob: FileFacts.from_json(facts) for blob, facts in data["hints"].items()}
        return cls(**{**data, "hints": hints})
