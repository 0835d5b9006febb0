"""What every language's resolver takes and gives: one import as the language module
extracted it (`RawImport`), resolved against the repository (`Resolved`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from repomill.code.resolve.layout import Resolved

# `alias` of a record that is no import: one of the file's own definitions exported under
# another name (`export default f`, `export {f as g}`); names: (exported name, own name).
EXPORT = "export"


@dataclass(frozen=True)
class RawImport:
    """One import as written in a file, before resolution against the repository."""

    module: str  # the module path / specifier as written ("a.b", "./x", "crate::a::b")
    names: tuple[tuple[str, str], ...] = ()  # (local name, name in the target module)
    # local name bound to the whole module, if any; "package" (Java, Go: the file's own
    # package) and EXPORT mark records of other kinds
    alias: str | None = None
    wildcard: bool = False
    level: int = 0  # Python relative-import dots
    line: int = 0

    def to_json(self) -> dict:
        return {
            "module": self.module,
            "names": [list(n) for n in self.names],
            "alias": self.alias,
            "wildcard": self.wildcard,
            "level": self.level,
            "line": self.line,
        }

    @classmethod
    def from_json(cls, row: Mapping[str, Any]) -> RawImport:
        """The record back from its stored form; other keys (the statement, what it
        resolved to) are ignored."""
        return cls(
            module=row["module"],
            names=tuple(tuple(pair) for pair in row["names"]),
            alias=row["alias"],
            wildcard=row["wildcard"],
            level=row["level"],
            line=row["line"],
        )


@runtime_checkable
class Resolver(Protocol):
    """One language's import resolution, built once per repository layout."""

    def resolve(self, path: str, raw: RawImport) -> Resolved:
        """The files and names `raw`, an import of the file at `path`, refers to."""
        ...
