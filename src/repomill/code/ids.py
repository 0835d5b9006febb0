"""Chunk ids: content hashes of (path, qualified symbol, normalized text), never of line
numbers, so a chunk keeps its id when lines above it move."""

from __future__ import annotations

import textwrap

from repomill.engine.keys import stable_hash


def normalize(text: str) -> str:
    """Ignore what an unrelated edit can change around a unit: line endings, trailing
    whitespace, surrounding blank lines and the indentation of the whole block."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    return textwrap.dedent("\n".join(lines)).strip("\n")


def chunk_id(path: str, symbol: str, text: str, ordinal: int = 0) -> str:
    """`ordinal` tells apart identical chunks of one file (the n-th repeat gets n)."""
    return stable_hash(path, symbol, normalize(text), str(ordinal))
