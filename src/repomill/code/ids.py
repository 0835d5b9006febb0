"""Chunk ids: content hashes of (path, qualified symbol, normalized text), never of line
numbers, so a chunk keeps its id when lines above it move."""

from __future__ import annotations

from repomill.engine.keys import stable_hash


def normalize(text: str) -> str:
    """Ignore what an unrelated edit or a checkout can change: line endings, trailing
    whitespace and surrounding blank lines."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if " \n" in text or "\t\n" in text:  # rare: only then pay for a per-line pass
        text = "\n".join(line.rstrip() for line in text.split("\n"))
    return text.strip("\n").rstrip()


def chunk_id(path: str, symbol: str, text: str, ordinal: int = 0) -> str:
    """`ordinal` tells apart identical chunks of one file (the n-th repeat gets n)."""
    return stable_hash(path, symbol, normalize(text), str(ordinal))
