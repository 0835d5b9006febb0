"""The structure of a markdown answer, found in linear time: fenced code blocks, inline code
spans and the blocks a claim can be (headings, bullets, table rows, paragraphs).

Code spans follow CommonMark: a run of n backticks opens a span that the next run of
exactly n backticks closes; a run with no such partner is literal text, and no span
crosses a blank line. Fences (``` or ~~~, at any indentation) run to their closing fence
or, unclosed, to the end. Indented code blocks are not recognised (bullets indent too)."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

MASK = "\x00"  # stands for every character of a code span in `Answer.masked`

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_BLANK_RUN = re.compile(r"\n[ \t]*\n")
_BACKTICKS = re.compile(r"`+")
_HEADING = re.compile(r"^#{1,6}(\s|$)")
_SETEXT = re.compile(r"^(=+|-+)$")
_RULE = re.compile(r"^([-*_])(\s*\1){2,}$")
_BULLET = re.compile(r"^(?:[-*+]|\d{1,9}[.)])(?:\s+|$)")


@dataclass(frozen=True)
class Answer:
    code_blocks: tuple[tuple[str, str], ...]  # each fenced block's info word (lowercase), body
    spans: tuple[str, ...]  # the contents of inline code spans, in order
    masked: str  # the prose: fences blanked, each code span's characters MASK


@dataclass(frozen=True)
class Block:
    kind: str  # heading | bullet | row (of a table) | header_row | paragraph
    text: str  # its lines joined by spaces, bullet marker dropped


@lru_cache(maxsize=8)  # the checks of one sample parse its answer once
def parse(text: str) -> Answer:
    prose, code_blocks = _split_fences(text)
    spans: list[str] = []
    masked = "\n\n".join(_mask_spans(part, spans) for part in _BLANK_RUN.split(prose))
    return Answer(tuple(code_blocks), tuple(spans), masked)


def _split_fences(text: str) -> tuple[str, list[tuple[str, str]]]:
    """The text with fenced blocks as blank lines, and the blocks (info word, body)."""
    prose: list[str] = []
    blocks: list[tuple[str, str]] = []
    fence, info = "", ""
    body: list[str] = []
    for line in text.split("\n"):
        opening = _FENCE.match(line)
        if not fence and opening:
            fence, body = opening.group(1), []
            info = (line[opening.end() :].split() or [""])[0].lower()
            prose.append("")
        elif fence and _closes(line, fence):
            blocks.append((info, "\n".join(body)))
            fence = ""
            prose.append("")
        elif fence:
            body.append(line)
        else:
            prose.append(line)
    if fence:
        blocks.append((info, "\n".join(body)))
    return "\n".join(prose), blocks


def _closes(line: str, fence: str) -> bool:
    """Whether `line` closes `fence`: the fence's character, at least as many, only."""
    stripped = line.strip()
    return stripped.startswith(fence) and not stripped.strip(fence[0])


def _mask_spans(part: str, spans: list[str]) -> str:
    """`part` with each code span masked; the spans' contents appended to `spans`."""
    runs = [(m.start(), m.end()) for m in _BACKTICKS.finditer(part)]
    by_length: dict[int, list[int]] = defaultdict(list)
    for i, (start, end) in enumerate(runs):
        by_length[end - start].append(i)
    cursor: dict[int, int] = defaultdict(int)
    pieces: list[str] = []
    done, i = 0, 0
    while i < len(runs):
        start, end = runs[i]
        later, k = by_length[end - start], cursor[end - start]
        while k < len(later) and later[k] <= i:
            k += 1
        cursor[end - start] = k
        if k == len(later):  # no closing run: literal backticks
            i += 1
            continue
        close_start, close_end = runs[later[k]]
        spans.append(part[end:close_start].replace("\n", " ").strip())
        pieces.append(part[done:start])
        code = part[start:close_end]
        pieces.append(re.sub(r"[^\n]", MASK, code) if "\n" in code else MASK * len(code))
        done, i = close_end, later[k] + 1
    pieces.append(part[done:])
    return "".join(pieces)


def blocks(masked: str) -> list[Block]:
    """The blocks of masked prose, in order. A line that is no heading, bullet, table row
    or rule continues the open bullet or paragraph (markdown's lazy continuation)."""
    out: list[Block] = []
    kind, lines = "", []  # the open block
    for raw in masked.split("\n"):
        line = raw.strip().lstrip("> \t").strip()  # block quotes read as their text
        what = _line_kind(line, kind)
        if what != "text" and kind:
            out.append(Block("heading" if what == "setext" else kind, " ".join(lines)))
            kind, lines = "", []
        if what == "heading":
            out.append(Block("heading", line.lstrip("#").strip()))
        elif what == "separator" and out and out[-1].kind == "row":
            out[-1] = Block("header_row", out[-1].text)  # the row above a separator
        elif what == "row":
            out.append(Block("row", line))
        elif what == "bullet":
            kind, lines = "bullet", [line[_BULLET.match(line).end() :]]  # type: ignore[union-attr]
        elif what == "text":
            kind = kind or "paragraph"
            lines.append(line)
    if kind:
        out.append(Block(kind, " ".join(lines)))
    return out


def _line_kind(line: str, open_kind: str) -> str:
    """blank, heading, setext (underline of the open paragraph), rule, separator (of a
    table), row, bullet or text. The first character rules most out cheaply."""
    if not line:
        return "blank"
    first = line[0]
    if first == "#" and _HEADING.match(line):
        return "heading"
    if first in "=-" and open_kind == "paragraph" and _SETEXT.match(line):
        return "setext"
    if first in "-*_" and _RULE.match(line):
        return "rule"
    if "|" in line and "-" in line and not set(line) - set("|-: "):
        return "separator"
    if first == "|":
        return "row"
    if (first in "-*+" or first.isdigit()) and _BULLET.match(line):
        return "bullet"
    return "text"
