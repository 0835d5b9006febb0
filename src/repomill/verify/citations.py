"""Citations of evidence in markdown answers, and whether an answer's claims carry them.

Citation syntax (outside code spans and fences; one chunk per bracket):

    [<chunk_id>]                 the chunk, as the sample's evidence entry for it
    [<chunk_id>:<start>-<end>]   lines start..end (1-based, inclusive) of the chunk's file,
                                 within an evidence entry of the sample for that chunk
    [<chunk_id>:<line>]          shorthand for [<chunk_id>:<line>-<line>]

`<chunk_id>` is 8 to 64 lowercase hex digits (code/ids.py makes 32), with no spaces.
Several chunks are cited side by side: `[a1b2…][c3d4…]`. Anything else in brackets that
starts with such an id (`[a1b2…, c3d4…]`, `[a1b2…:9-3]`, `[a1b2… line 4]`) is
`malformed_citation`. `render_citation` writes one.

A claim (must cite at least one chunk): every bullet and every table row below a header,
and every other paragraph of at least MIN_CLAIM_WORDS words; headings are not claims, nor
is a block ending in a colon (it introduces what follows). Words inside code spans count;
citations do not. One citation anywhere in a block covers the block.

Every check returns a `Problem` (a counted reason and a short detail) or None; none raises
on its input."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from repomill.verify import markdown

MIN_CLAIM_WORDS = 5
DETAIL_CHARS = 120  # of a block or name list a Problem quotes

_ID = r"[0-9a-f]{8,64}"
CITATION = re.compile(
    rf"\[(?P<id>{_ID})(?::(?P<start>\d{{1,9}})(?:-(?P<end>\d{{1,9}}))?)?\]"
    rf"|(?P<bad>\[\s*{_ID}[^\[\]\n]{{0,80}}\])"
)
_WORD = re.compile(rf"[\w{markdown.MASK}]")


@dataclass(frozen=True)
class Problem:
    """Why a sample is rejected: `reason`, the counted code; `detail`, for a person."""

    reason: str
    detail: str = ""


@dataclass(frozen=True)
class Citation:
    chunk_id: str
    start_line: int | None = None  # None: the whole evidence entry
    end_line: int | None = None


def render_citation(
    chunk_id: str, start_line: int | None = None, end_line: int | None = None
) -> str:
    """`[chunk_id]`, or `[chunk_id:start-end]` when lines are given (end defaults to start)."""
    if start_line is None:
        return f"[{chunk_id}]"
    return f"[{chunk_id}:{start_line}-{start_line if end_line is None else end_line}]"


def citations(answer: str) -> list[Citation]:
    """The well-formed citations of an answer's prose, in order (code is not read)."""
    return [c for c, _ in _scan(markdown.parse(answer).masked) if c is not None]


def _scan(text: str) -> list[tuple[Citation | None, str]]:
    """Each citation-like bracket of `text`: (its Citation, or None if malformed; text)."""
    found: list[tuple[Citation | None, str]] = []
    for m in CITATION.finditer(text):
        if m["bad"] is not None:
            found.append((None, m[0]))
        elif m["start"] is None:
            found.append((Citation(m["id"]), m[0]))
        else:
            start = int(m["start"])
            end = int(m["end"]) if m["end"] is not None else start
            found.append((Citation(m["id"], start, end) if 1 <= start <= end else None, m[0]))
    return found


def check_citations(answer: str, evidence: list[dict[str, Any]]) -> Problem | None:
    """`malformed_citation`, `citation_not_in_evidence` (a citation no evidence entry of the
    sample covers), `uncited_answer` (a claim without a citation) or `empty_answer`."""
    if not answer.strip():
        return Problem("empty_answer")
    covered = _entries(evidence)
    cited_blocks = []
    for block in markdown.blocks(markdown.parse(answer).masked):
        found = _scan(block.text)
        for citation, text in found:
            if citation is None:
                return Problem("malformed_citation", text[:DETAIL_CHARS])
            if not _covers(covered.get(citation.chunk_id, ()), citation):
                return Problem("citation_not_in_evidence", text[:DETAIL_CHARS])
        cited_blocks.append((block, bool(found)))
    uncited = [b for b, cited in cited_blocks if not cited and is_claim(b)]
    if uncited:
        more = f" (+{len(uncited) - 1} more)" if len(uncited) > 1 else ""
        return Problem("uncited_answer", _quote(uncited[0].text) + more)
    return None


def is_claim(block: markdown.Block) -> bool:
    """Whether a block makes a claim (see the module docstring)."""
    if block.kind in ("heading", "header_row"):
        return False
    text = CITATION.sub(" ", block.text)
    if text.rstrip(" *_").endswith(":"):
        return False
    words = sum(1 for word in text.split() if _WORD.search(word))
    return words >= (1 if block.kind in ("bullet", "row") else MIN_CLAIM_WORDS)


def _entries(evidence: list[dict[str, Any]]) -> dict[str, list[tuple[int, int]]]:
    """chunk id -> the (start, end) lines of the sample's evidence entries for it."""
    entries: dict[str, list[tuple[int, int]]] = {}
    for entry in evidence:
        if isinstance(entry, dict) and isinstance(entry.get("chunk_id"), str):
            lines = (entry.get("start_line"), entry.get("end_line"))
            if all(isinstance(n, int) for n in lines):
                entries.setdefault(entry["chunk_id"], []).append(lines)  # type: ignore[arg-type]
    return entries


def _covers(entries: list[tuple[int, int]] | tuple[()], citation: Citation) -> bool:
    if citation.start_line is None or citation.end_line is None:
        return bool(entries)
    return any(s <= citation.start_line and citation.end_line <= e for s, e in entries)


def _quote(text: str) -> str:
    text = re.sub(f"{markdown.MASK}+", "`…`", text)
    return text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 1] + "…"
