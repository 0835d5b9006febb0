"""A stage: a small deterministic unit that turns one shard of work items into records.

A stage is plain data (name, version, config) plus a pure `process` method, so it pickles to
any executor (process pool today, Ray later) and never depends on process-local state.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, ClassVar

from repomill.engine.keys import canonical_json, stable_hash


@dataclass
class ShardResult:
    """What one shard produced: records, and counts of items skipped by reason."""

    records: list[dict[str, Any]] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)

    def to_json(self) -> dict[str, Any]:
        return {"records": self.records, "skipped": dict(sorted(self.skipped.items()))}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ShardResult:
        return cls(records=data["records"], skipped=Counter(data["skipped"]))


class Stage:
    """Base class. Subclasses set `name` and `version`, hold their config, and implement
    `process(items)`. Bump `version` whenever the output for the same input changes."""

    name: ClassVar[str]
    version: ClassVar[int] = 1

    def config(self) -> dict[str, Any]:
        """The settings that change this stage's output; part of every cache key."""
        return {}

    def item_key(self, item: Any) -> str:
        """A content key for one work item (e.g. path + blob id). Default: its JSON."""
        return canonical_json(item)

    def shard_key(self, items: list[Any]) -> str:
        return stable_hash(
            self.name,
            str(self.version),
            canonical_json(self.config()),
            *(self.item_key(item) for item in items),
        )

    def process(self, items: list[Any]) -> ShardResult:
        raise NotImplementedError
