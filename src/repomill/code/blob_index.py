"""One blob indexed on its own, by the code index's rules: what the history walk (the
revision index) and the commit miner need of a file at some revision."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

from repomill.code.file_index import index_file
from repomill.code.incremental import IncrementalParser
from repomill.code.languages import language_for_path
from repomill.sources.filters import blob_skip_reason


@dataclass
class FileFacts:
    """What the revision index keeps of every file: the names it defines and its imports."""

    names: list[str]
    imports: list[dict[str, Any]]

    def __post_init__(self) -> None:
        # One string per distinct statement and name: each raw import carries its whole
        # statement (a Rust `use a::{b, c, …}` once per name), and the history walk keeps
        # thousands of facts (rust-analyzer, 2,000 commits: 152 MiB of them, was 291).
        self.names = [sys.intern(name) for name in self.names]
        for raw in self.imports:
            raw["statement"] = sys.intern(raw["statement"])

    @classmethod
    def of(cls, indexed: dict[str, Any]) -> FileFacts:
        """The facts of an `index_file` (or `index_blob`) result."""
        return cls([s["name"] for s in indexed["symbols"]], indexed["imports"])

    def to_json(self) -> dict[str, Any]:
        return {"names": self.names, "imports": self.imports}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileFacts:
        return cls(**data)


def index_blob(
    path: str,
    data: bytes,
    max_file_bytes: int,
    max_chunk_bytes: int,
    with_chunks: bool = True,
    parser: IncrementalParser | None = None,
    chunk_references: bool = True,
) -> dict[str, Any] | None:
    """`index_file` for a file the code index would index, else None (same skip rules).
    `parser` parses successive versions of a file incrementally."""
    language = language_for_path(path)
    if language is None or blob_skip_reason(path, data, max_file_bytes) is not None:
        return None
    tree = parser.parse(path, language, data) if parser is not None else None
    return index_file(path, language, data, max_chunk_bytes, with_chunks, tree, chunk_references)


def blob_facts(
    path: str,
    data: bytes,
    max_file_bytes: int,
    max_chunk_bytes: int,
    parser: IncrementalParser | None = None,
) -> FileFacts | None:
    """The facts of a blob (parsed without chunks), or None if it is not indexable."""
    indexed = index_blob(path, data, max_file_bytes, max_chunk_bytes, False, parser)
    return FileFacts.of(indexed) if indexed is not None else None
