"""A stage: a small deterministic unit that turns one shard of work items into records.

A stage is a dataclass: its fields are its settings, and every field is part of the cache
key unless the class names it in `cache_exclude` (with the reason it does not change the
output). State that only speeds a process up (a parsed-blob cache, a parser) is declared
with `process_local(...)`: never in the key, and never pickled (each process gets a
fresh one), so a stage pickles to any executor (process pool today, Ray later)."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from repomill.engine.keys import canonical_json, stable_hash

_PROCESS_LOCAL = "repomill.process_local"


def process_local(factory: Callable[[], Any]) -> Any:
    """A field for per-process state: built by `factory`, not an argument, not compared,
    not in the cache key, and rebuilt (not pickled) in every process that unpickles it."""
    return field(default_factory=factory, init=False, repr=False, compare=False,
                 metadata={_PROCESS_LOCAL: True})  # fmt: skip


def _is_process_local(f: dataclasses.Field) -> bool:
    return bool(f.metadata.get(_PROCESS_LOCAL))


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
    """Base class. Subclasses are dataclasses (`@dataclass(frozen=True)` where they can
    be) that set `name` and `version` and implement `process(items)`. Bump `version`
    whenever the output for the same input and settings changes."""

    name: ClassVar[str]
    version: ClassVar[int] = 1
    # Fields that do not change the output (each subclass says why next to its set).
    cache_exclude: ClassVar[frozenset[str]] = frozenset()

    def config(self) -> dict[str, Any]:
        """The settings that change this stage's output, part of every cache key: every
        field but the excluded and the process-local ones."""
        cls = type(self)
        if "__dataclass_fields__" not in vars(cls):
            raise TypeError(f"{cls.__name__} must be a @dataclass: its fields are its key")
        fields = dataclasses.fields(self)
        names = {f.name for f in fields}
        if unknown := (set(cls.cache_exclude) - names) | (set(vars(self)) - names):
            # an attribute outside the fields would change output without changing keys
            raise TypeError(f"{cls.__name__}: not dataclass fields: {sorted(unknown)}")
        return {f.name: getattr(self, f.name) for f in fields
                if f.name not in cls.cache_exclude and not _is_process_local(f)}  # fmt: skip

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

    def __getstate__(self) -> dict[str, Any]:
        local = {f.name for f in dataclasses.fields(self) if _is_process_local(f)}
        return {k: v for k, v in vars(self).items() if k not in local}

    def __setstate__(self, state: dict[str, Any]) -> None:
        vars(self).update(state)  # not setattr: a frozen dataclass refuses it
        for f in dataclasses.fields(self):
            if _is_process_local(f):
                vars(self)[f.name] = f.default_factory()
