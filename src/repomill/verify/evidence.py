"""Whether a sample's evidence is true at its commit: each entry names a chunk of the index
at its own path and lines, and the text a sample shows for it is exactly those lines of
that commit's blob.

Evidence text is exact, so a blob is read as strict UTF-8: a blob that is not (or that
`read` cannot give) is `unreadable_evidence`, never a text with replacement characters.
Lines are split at "\\n" only (as the index counts them); `snippet` drops each line's
terminator ("\\n" or "\\r\\n") and keeps everything else, trailing whitespace included."""

from __future__ import annotations

import re
from collections.abc import Callable
from numbers import Integral
from typing import Any

from repomill.verify.citations import DETAIL_CHARS, Problem

Read = Callable[[str], bytes]  # a file of the sample's commit, by path

_SHOWN_KEY = re.compile(
    r"(?P<open>\[)?(?P<id>[0-9a-f]{8,64})(?::(?P<start>\d{1,9})-(?P<end>\d{1,9}))?(?(open)\])"
)


def file_lines(data: bytes) -> list[str]:
    """The lines of a blob, terminators dropped; UnicodeDecodeError if it is not UTF-8."""
    text = data.decode("utf-8")
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # the newline ending the last line starts no line of its own
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def snippet(read: Read, path: str, start: int, end: int) -> str:
    """Lines start..end (1-based, inclusive) of `path`, joined by "\\n", no newline after
    the last. ValueError for lines the file does not have or a blob that is not UTF-8."""
    return _snippet(file_lines(read(path)), path, start, end)


def _snippet(lines: list[str], path: str, start: int, end: int) -> str:
    if not 1 <= start <= end <= len(lines):
        raise ValueError(f"{path} has {len(lines)} lines, not {start}-{end}")
    return "\n".join(lines[start - 1 : end])


class _Blobs:
    """The lines of each file the check reads, read once per check."""

    def __init__(self, read: Read):
        self.read = read
        self.data: dict[str, bytes | Problem] = {}
        self.lines: dict[str, list[str]] = {}

    def raw(self, path: str) -> bytes | Problem:
        if path not in self.data:
            try:
                self.data[path] = bytes(self.read(path))
            except Exception as error:  # the caller's reader: any failure is a reason
                self.data[path] = Problem("unreadable_evidence", f"{path}: {type(error).__name__}")
        return self.data[path]

    def text(self, path: str) -> list[str] | Problem:
        data = self.raw(path)
        if isinstance(data, Problem):
            return data
        if path not in self.lines:
            try:
                self.lines[path] = file_lines(data)
            except UnicodeDecodeError:
                problem = Problem("unreadable_evidence", f"{path}: not UTF-8")
                self.data[path] = problem
                return problem
        return self.lines[path]


Entry = tuple[str, str, int, int]  # chunk id, path, start line, end line


def check_evidence(
    evidence: list[dict[str, Any]],
    chunks_by_id: dict[str, dict[str, Any]],
    read: Read,
    shown: dict[str, str] | None = None,
) -> Problem | None:
    """The first problem of a sample's evidence: `no_evidence`, `malformed_evidence`,
    `unknown_chunk` (no such chunk at the commit), `wrong_path`, `lines_outside_chunk`,
    `unreadable_evidence`, `stale_chunk` (the blob `read` gives is not the one indexed),
    `citation_not_in_evidence` (a shown text for no entry of the sample) or
    `altered_snippet` (a shown text that is not exactly its lines of the blob).

    `shown` maps "chunk_id" or "chunk_id:start-end" to the text the sample shows: a bare id
    means the lines of the sample's (first) entry for that chunk."""
    if not evidence:
        return Problem("no_evidence")
    entries = []
    for raw in evidence:
        entry = _entry(raw)
        if entry is None:
            return Problem("malformed_evidence", repr(raw)[:DETAIL_CHARS])
        entries.append(entry)
    blobs = _Blobs(read)
    for entry in entries:
        if problem := _check_entry(entry, chunks_by_id, blobs):
            return problem
    for key, text in (shown or {}).items():
        if problem := _check_shown(key, text, entries, blobs):
            return problem
    return None


def _entry(raw: Any) -> Entry | None:
    """An evidence entry's fields, or None if it lacks one or has lines that cannot be."""
    if not isinstance(raw, dict):
        return None
    cid, path = raw.get("chunk_id"), raw.get("path")
    lines = _lines(raw)
    if not isinstance(cid, str) or not isinstance(path, str) or lines is None:
        return None
    return cid, path, *lines


def _lines(record: dict[str, Any]) -> tuple[int, int] | None:
    """A record's (start_line, end_line): whole numbers, 1 <= start <= end; else None."""
    start, end = record.get("start_line"), record.get("end_line")
    if not all(isinstance(n, Integral) and not isinstance(n, bool) for n in (start, end)):
        return None
    start, end = int(start), int(end)  # type: ignore[arg-type]
    return (start, end) if 1 <= start <= end else None


def _check_entry(entry: Entry, chunks: dict[str, dict[str, Any]], blobs: _Blobs) -> Problem | None:
    cid, path, start, end = entry
    chunk = chunks.get(cid)
    span = _lines(chunk) if isinstance(chunk, dict) else None
    if chunk is None or span is None:
        return Problem("unknown_chunk", cid)
    if chunk.get("path") != path:
        return Problem("wrong_path", f"{cid}: {path}, not {chunk.get('path')}")
    if not span[0] <= start <= end <= span[1]:
        return Problem("lines_outside_chunk", f"{cid}: {start}-{end} outside {span[0]}-{span[1]}")
    lines = blobs.text(path)
    if isinstance(lines, Problem):
        return lines
    if span[1] > len(lines) or not _same_text(chunk, blobs.raw(path)):
        return Problem("stale_chunk", f"{cid}: {path} differs from the indexed file")
    return None


def _same_text(chunk: dict[str, Any], data: bytes | Problem) -> bool:
    """Whether the chunk's text is the blob's bytes where the index found it (a chunk
    without text or byte offsets, e.g. one a caller made for an SQL statement, is)."""
    text, start, end = chunk.get("text"), chunk.get("start_byte"), chunk.get("end_byte")
    if not isinstance(text, str) or not isinstance(start, int) or not isinstance(end, int):
        return True
    return isinstance(data, bytes) and data[start:end] == text.encode("utf-8")


def _check_shown(key: Any, text: Any, entries: list[Entry], blobs: _Blobs) -> Problem | None:
    match = _SHOWN_KEY.fullmatch(key) if isinstance(key, str) else None
    if match is None or not isinstance(text, str):
        return Problem("malformed_evidence", f"shown {key!r}"[:DETAIL_CHARS])
    mine = [e for e in entries if e[0] == match["id"]]
    lines: tuple[int, int] | None = (mine[0][2], mine[0][3]) if mine else None
    if match["start"] is not None:
        lines = int(match["start"]), int(match["end"])
        if not any(s <= lines[0] <= lines[1] <= e for _, _, s, e in mine):
            lines = None
    if lines is None:
        return Problem("citation_not_in_evidence", f"shown {key}")
    file = blobs.text(mine[0][1])
    if isinstance(file, Problem):
        return file
    if text != _snippet(file, mine[0][1], *lines):
        return Problem("altered_snippet", f"{key}: {_first_difference(text, file, lines)}")
    return None


def _first_difference(text: str, file: list[str], lines: tuple[int, int]) -> str:
    shown = text.split("\n")
    for offset, line in enumerate(file[lines[0] - 1 : lines[1]]):
        if offset >= len(shown) or shown[offset] != line:
            return f"line {lines[0] + offset} differs"
    return f"{len(shown) - (lines[1] - lines[0] + 1)} extra line(s)"
