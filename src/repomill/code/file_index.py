"""Index one file: parse it once, then derive its chunks, symbols, references and imports.

The result is plain JSON-able data, so it can be cached per shard and sent between
processes."""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from typing import Any

from tree_sitter import QueryCursor

from repomill.code.chunks import chunk_file
from repomill.code.definitions import Definition, find_definitions, walk
from repomill.code.ids import chunk_id
from repomill.code.languages import LANGUAGES, parser, scan_query
from repomill.code.languages.base import TYPE_KINDS


class LineIndex:
    """Byte offset → 1-based line number."""

    def __init__(self, source: bytes):
        self._starts = [0]
        position = source.find(b"\n")
        while position != -1:
            self._starts.append(position + 1)
            position = source.find(b"\n", position + 1)

    def line(self, offset: int) -> int:
        return bisect_right(self._starts, offset)


def index_file(path: str, language: str, source: bytes, max_chunk_bytes: int) -> dict[str, Any]:
    spec = LANGUAGES[language]
    tree = parser(language).parse(source)
    root = tree.root_node
    definitions = find_definitions(root, spec)
    pieces = chunk_file(source, root, definitions, max_chunk_bytes)
    lines = LineIndex(source)

    captures = QueryCursor(scan_query(language)).captures(root)
    starts = [piece.start for piece in pieces]
    references: list[dict[str, None]] = [{} for _ in pieces]  # ordered sets
    for node in captures.get("ref", ()):
        at = bisect_right(starts, node.start_byte) - 1
        if at >= 0 and node.end_byte <= pieces[at].end:
            references[at][source[node.start_byte : node.end_byte].decode("utf-8")] = None

    chunks = []
    seen: Counter[tuple[str, str]] = Counter()
    for piece, refs in zip(pieces, references, strict=True):
        text = source[piece.start : piece.end].decode("utf-8")
        ordinal = seen[(piece.symbol, text)]
        seen[(piece.symbol, text)] += 1
        chunks.append(
            {
                "chunk_id": chunk_id(path, piece.symbol, text, ordinal),
                "path": path,
                "language": language,
                "kind": piece.kind,
                "symbol": piece.symbol,
                "part": piece.part,
                "header": piece.header,
                "start_line": lines.line(piece.start),
                "end_line": lines.line(piece.end - 1),
                "start_byte": piece.start,
                "end_byte": piece.end,
                "text": text,
                "references": sorted(refs),
            }
        )

    symbols = [
        _symbol(d, path, language, source, lines, chunks, starts, spec, max_chunk_bytes)
        for d in walk(definitions)
    ]
    imports = [
        {**raw.to_json(), "statement": source[node.start_byte : node.end_byte].decode("utf-8")}
        for node in sorted(captures.get("import", ()), key=lambda n: n.start_byte)
        for raw in spec.extract_imports(node)
    ]
    return {
        "path": path,
        "language": language,
        "has_error": root.has_error,
        "chunks": chunks,
        "symbols": symbols,
        "imports": imports,
    }


def _symbol(
    d: Definition,
    path: str,
    language: str,
    source: bytes,
    lines: LineIndex,
    chunks: list[dict[str, Any]],
    starts: list[int],
    spec,
    max_chunk_bytes: int,
) -> dict[str, Any]:
    at = bisect_right(starts, d.start_byte) - 1
    small_type = d.kind in TYPE_KINDS and d.end_byte - d.start_byte <= max_chunk_bytes
    return {
        "name": d.name,
        "qualname": d.qualname,
        "kind": d.kind,
        "path": path,
        "language": language,
        "start_line": lines.line(d.start_byte),
        "end_line": lines.line(d.end_byte - 1),
        "start_byte": d.start_byte,
        "end_byte": d.end_byte,
        "signature": d.signature(),
        "docstring": spec.docstring_of(d.node),
        "parent": d.parent.qualname if d.parent is not None else "",
        "top_level": d.parent is None,
        "chunk_id": chunks[at]["chunk_id"] if at >= 0 and chunks else "",
        # The whole text of small types, which context shows in full.
        "text": source[d.start_byte : d.end_byte].decode("utf-8") if small_type else "",
    }
