"""Index one file: parse it once, then derive its chunks, symbols, references and imports.

The result is plain JSON-able data, so it can be cached per shard and sent between
processes."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from typing import Any

from tree_sitter import QueryCursor, Tree

from repomill.code.chunks import chunk_file
from repomill.code.definitions import Definition, find_definitions, walk
from repomill.code.ids import chunk_id
from repomill.code.languages import LANGUAGES, import_query, parser
from repomill.code.languages.base import CONSTANT, TYPE_KINDS, LanguageSpec
from repomill.code.render import FULL_TEXT_MAX_BYTES

# Imports are looked for at most this deep in the tree: module level, class and function
# bodies, methods, `mod` blocks (a method's body in a Python class is depth 5-6). Deeper ones
# (0.7% of rust-analyzer's) are not worth the query walking every node of every file.
IMPORT_MAX_DEPTH = 6
IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")


def line_numbers(source: bytes, offsets: list[int]) -> dict[int, int]:
    """1-based line of each byte offset, counting newlines once across the file."""
    lines: dict[int, int] = {}
    line, previous = 1, 0
    for offset in sorted(set(offsets)):
        line += source.count(b"\n", previous, offset)
        lines[offset] = line
        previous = offset
    return lines


def references(text: str, keywords: frozenset[str]) -> list[str]:
    """The identifiers a chunk mentions, keywords excluded, sorted. A lexical scan, so a
    name in a comment counts too (as it should for doc links like [`Foo`])."""
    return sorted(set(IDENTIFIER.findall(text)) - keywords)


def index_file(
    path: str,
    language: str,
    source: bytes,
    max_chunk_bytes: int,
    with_chunks: bool = True,
    tree: Tree | None = None,
    chunk_references: bool = True,
) -> dict[str, Any]:
    """Chunks, symbols and imports of one file. Without chunks (for the history walk and
    the commit miner, which need only where definitions are and the imports) symbols
    carry no `chunk_id`, signature, docstring or text. `tree` is the
    file already parsed (incrementally, say). Without `chunk_references` chunks list no
    references (the history walk's symbol tables need only their ids)."""
    spec = LANGUAGES[language]
    tree = tree or parser(language).parse(source)
    root = tree.root_node
    definitions = find_definitions(root, spec)
    pieces = chunk_file(source, root, definitions, max_chunk_bytes) if with_chunks else []
    every_definition = list(walk(definitions))
    defined = {d.name for d in definitions}
    constants = [(n, name) for n, name in spec.constants_of(root) if name not in defined]
    starts = [piece.start for piece in pieces]
    lines = line_numbers(
        source,
        starts
        + [p.end - 1 for p in pieces]
        + [d.start_byte for d in every_definition]
        + [d.end_byte - 1 for d in every_definition]
        + [n.start_byte for n, _ in constants]
        + [n.end_byte - 1 for n, _ in constants],
    )

    chunks = _chunks(path, language, source, pieces, lines, spec, chunk_references)
    symbols = [
        _symbol(d, path, language, source, lines, chunks, starts, spec, with_chunks)
        for d in every_definition
    ] + [_constant(n, name, path, language, source, lines, chunks, starts, with_chunks)
         for n, name in constants]  # fmt: skip
    imports = _imports(language, source, root, spec)
    return {
        "path": path,
        "language": language,
        "has_error": root.has_error,
        "chunks": chunks,
        "symbols": symbols,
        "imports": imports,
    }


def _chunks(path, language, source, pieces, lines, spec, with_references
            ) -> list[dict[str, Any]]:  # fmt: skip
    """The chunk records of a file's pieces; equal texts of one symbol get ordinals."""
    chunks = []
    seen: Counter[tuple[str, str]] = Counter()
    for piece in pieces:
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
                "start_line": lines[piece.start],
                "end_line": lines[piece.end - 1],
                "start_byte": piece.start,
                "end_byte": piece.end,
                "text": text,
                "references": references(text, spec.keywords) if with_references else [],
            }
        )
    return chunks


def _imports(language, source, root, spec) -> list[dict[str, Any]]:
    """Each import statement's raw imports, with the statement's text, in file order."""
    cursor = QueryCursor(import_query(language))
    cursor.set_max_start_depth(IMPORT_MAX_DEPTH)
    captures = cursor.captures(root)
    imports = []
    for node in sorted(captures.get("import", ()), key=lambda n: n.start_byte):
        statement = source[node.start_byte : node.end_byte].decode("utf-8")  # one per node
        imports.extend({**raw.to_json(), "statement": statement}
                       for raw in spec.extract_imports(node))  # fmt: skip
    return imports


def _symbol(
    d: Definition,
    path: str,
    language: str,
    source: bytes,
    lines: dict[int, int],
    chunks: list[dict[str, Any]],
    starts: list[int],
    spec: LanguageSpec,
    details: bool,
) -> dict[str, Any]:
    small_type = d.kind in TYPE_KINDS and d.end_byte - d.start_byte <= FULL_TEXT_MAX_BYTES
    return {
        "name": d.name,
        "qualname": d.qualname,
        "kind": d.kind,
        "path": path,
        "language": language,
        "start_line": lines[d.start_byte],
        "end_line": lines[d.end_byte - 1],
        "start_byte": d.start_byte,
        "end_byte": d.end_byte,
        "signature": d.signature() if details else "",
        "docstring": spec.docstring_of(d.node) if details else "",
        "returns": spec.returns_of(d.node) if details else "",
        "parent": d.parent.qualname if d.parent is not None else "",
        "top_level": d.parent is None,
        "chunk_id": _chunk_id_at(chunks, starts, d.start_byte),
        # The whole text of small types, which context shows in full: whole lines, so a
        # nested type keeps its first line's indentation as its body does.
        "text": _whole_lines(source, d.start_byte, d.end_byte) if small_type and details else "",
    }


def _constant(node, name: str, path: str, language: str, source: bytes, lines: dict[int, int],
              chunks: list[dict[str, Any]], starts: list[int], details: bool
              ) -> dict[str, Any]:  # fmt: skip
    """The symbol of a top-level named value: shown whole when small, else its first line."""
    text = _whole_lines(source, node.start_byte, node.end_byte) if details else ""
    if len(text) > FULL_TEXT_MAX_BYTES:
        text = text.split("\n", 1)[0] + " …"
    return {
        "name": name, "qualname": name, "kind": CONSTANT, "path": path, "language": language,
        "start_line": lines[node.start_byte], "end_line": lines[node.end_byte - 1],
        "start_byte": node.start_byte, "end_byte": node.end_byte,
        "signature": text.split("\n", 1)[0], "docstring": "", "returns": "", "parent": "",
        "top_level": True,
        "chunk_id": _chunk_id_at(chunks, starts, node.start_byte), "text": text,
    }  # fmt: skip


def _chunk_id_at(chunks: list[dict[str, Any]], starts: list[int], offset: int) -> str:
    """The id of the chunk holding byte `offset` ("" without chunks)."""
    at = bisect_right(starts, offset) - 1
    return chunks[at]["chunk_id"] if at >= 0 and chunks else ""


def _whole_lines(source: bytes, start: int, end: int) -> str:
    """The lines holding bytes start..end, from the first's start to the last's end (its
    newline left out)."""
    first = source.rfind(b"\n", 0, start) + 1
    last = source.find(b"\n", max(end - 1, start))
    return source[first : last if last >= 0 else len(source)].decode("utf-8")
