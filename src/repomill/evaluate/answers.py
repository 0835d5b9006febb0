"""A commit answer read back into the new code of each unit, in the row's target format
(recipes/commits/targets.py renders them):

- `whole`: the fenced block under each unit's `### path :: symbol` heading (a `<module>`
  unit's names its place, as targets.heading writes it; `(removed)`: empty code); an
  answer without any unit's heading gives its blocks to the units in order.
- `udiff`: `@@` hunks (under `--- a/` / `+++ b/` headers) applied to the old code; the
  counts of a hunk's header end it, or, without counts, its first line that is no diff line.
- `search-replace`: each `<<<<<<< SEARCH` / `=======` / `>>>>>>> REPLACE` block applied to
  the old code; its file is the last line of text before it.

An edit goes to the unit of its path (any unit when the path names none) whose old code
holds its lines (a hunk: whose lines hold its line number, first). A unit that no edit,
block or heading answers, or none of whose edits applied, has no new code (None). All of
it reads the answer line by line, once."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from repomill.evaluate.edits import Edit, OldCode
from repomill.llm.parse import code_blocks
from repomill.recipes.commits.targets import heading

_HEADING = re.compile(r"^###[ \t]+(.*?)[ \t]*$")
_FENCE = re.compile(r"^(`{3,})")
_FROM_LINE = re.compile(r"\s*\(from [^()]*\)$")  # `(from line 3)`, `(from old/path.py, line 3)`
_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_SEARCH = re.compile(r"^[ \t]*<{5,9} SEARCH[ \t]*$")
_DIVIDER = re.compile(r"^[ \t]*={5,9}[ \t]*$")
_REPLACE = re.compile(r"^[ \t]*>{5,9} REPLACE[ \t]*$")


@dataclass(frozen=True)
class Answer:
    code: tuple[str | None, ...]  # per unit: its new code, None where the answer has none
    edits: int = 0  # hunks or blocks the answer has (udiff, search-replace)
    applied: int = 0  # of them, those that applied


def read_answer(target: str, units: list[dict[str, Any]], answer: str) -> Answer:
    if target == "whole":
        return Answer(tuple(_whole(units, answer)))
    edits = udiff_edits(answer) if target == "udiff" else search_replace_edits(answer)
    return _applied(units, edits)


def _whole(units: list[dict[str, Any]], answer: str) -> list[str | None]:
    sections = _sections(answer)
    keys = [_key(heading(u).removeprefix("### ")) for u in units]
    if not any(key in sections for key in keys):
        blocks = [b.code for b in code_blocks(answer)]
        return [blocks[i] if i < len(blocks) else None for i in range(len(units))]
    # units of one heading (overloads, a name defined twice) take its sections in order
    seen: Counter[str] = Counter()
    code = []
    for key in keys:
        mine = sections.get(key, [])
        code.append(_section_code(mine[seen[key]] if seen[key] < len(mine) else None))
        seen[key] += 1
    return code


def _key(heading: str) -> str:
    """A heading as compared: whitespace collapsed, emphasis and the prompt's `(from line
    N)`, `(from OLD_PATH, line N)` or `(from OLD_PATH)` dropped."""
    return _FROM_LINE.sub("", " ".join(heading.split()).strip("`*")).strip("`* ")


def _sections(answer: str) -> dict[str, list[str]]:
    """The text under each `### ` heading outside fences, in order (a repeated heading
    has several); fences open and close as `code_blocks` reads them."""
    sections: dict[str, list[list[str]]] = {}
    current: list[str] | None = None
    fence = 0  # the backticks of the open fence
    for line in answer.split("\n"):
        opening = _FENCE.match(line)
        if fence:
            stripped = line.rstrip(" \t\r")
            if len(stripped) >= fence and not stripped.strip("`"):
                fence = 0
        elif opening:
            fence = len(opening.group(1))
        elif heading := _HEADING.match(line):
            current = []
            sections.setdefault(_key(heading.group(1)), []).append(current)
            continue
        if current is not None:
            current.append(line)
    return {key: ["\n".join(lines) for lines in texts] for key, texts in sections.items()}


def _section_code(text: str | None) -> str | None:
    if text is None:
        return None
    blocks = code_blocks(text)
    if blocks:
        return blocks[0].code
    return "" if "(removed)" in text else None


def _applied(units: list[dict[str, Any]], edits: list[Edit]) -> Answer:
    olds = [OldCode(u["old_code"] or "", u.get("old_start_line") or 0) for u in units]
    assigned: list[list[Edit]] = [[] for _ in units]
    for edit in edits:
        unit = _unit_of(units, olds, assigned, edit)
        if unit is not None:
            assigned[unit].append(edit)
    code, applied = [], 0
    for old, mine in zip(olds, assigned, strict=True):
        new, count = old.apply(mine) if mine else (None, 0)
        code.append(new)
        applied += count
    return Answer(tuple(code), len(edits), applied)


def _unit_of(units, olds: list[OldCode], assigned: list[list[Edit]], edit: Edit) -> int | None:
    path = _path(edit.path) if edit.path is not None else None
    same = [i for i, u in enumerate(units) if u["path"] == path]
    candidates = same or list(range(len(units)))
    if edit.line is not None and edit.old:
        for i in candidates:
            if olds[i].covers(edit.line) and olds[i].find(edit) is not None:
                return i
    if not edit.old:  # an insertion goes to a new unit (no old code) that has no edit yet
        empty = [i for i in candidates if not olds[i].lines and not assigned[i]]
        at_line = [i for i in empty if units[i].get("new_start_line") == edit.new_line]
        return (at_line or empty or [None])[0]
    return next((i for i in candidates if olds[i].find(edit) is not None), None)


def _path(text: str) -> str:
    path = text.strip().strip("`*").strip().split("\t")[0].strip()
    for prefix in ("a/", "b/", "./"):
        if path.startswith(prefix):
            return path[len(prefix) :]
    return path


def udiff_edits(answer: str) -> list[Edit]:
    lines = answer.split("\n")
    edits: list[Edit] = []
    path: str | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith(("--- ", "+++ ")):
            named = _path(line[4:])
            if named != "/dev/null":
                path = named
            elif line.startswith("--- "):
                path = None
            i += 1
        elif line.startswith("@@"):
            edit, i = _hunk(lines, i, path)
            edits.append(edit)
        else:
            i += 1
    return edits


def _hunk(lines: list[str], i: int, path: str | None) -> tuple[Edit, int]:
    """The hunk whose header is line i, and the index of the line after it."""
    header = _HUNK.match(lines[i])
    counts = None
    if header:
        counts = (int(header[2] or 1), int(header[4] or 1))
    old: list[str] = []
    new: list[str] = []
    i += 1
    while i < len(lines):
        line = lines[i]
        if counts is not None and _done(old, new, counts):
            break
        if line.startswith("@@") or (line.startswith("--- ") and i + 1 < len(lines)
                                     and lines[i + 1].startswith("+++ ")):  # fmt: skip
            break
        tag, text = (line[:1], line[1:]) if line or counts is None else (" ", "")
        if tag == " ":
            old.append(text)
            new.append(text)
        elif tag in ("-", "+"):
            (old if tag == "-" else new).append(text)
        elif tag != "\\":  # "\ No newline at end of file" is no line
            break
        i += 1
    complete = counts is None or _done(old, new, counts) or i < len(lines)
    start, new_start = (int(header[1]), int(header[3])) if header else (None, None)
    edit = Edit(path, tuple(old), tuple(new), start, new_start, complete)
    return edit, i


def _done(old: list[str], new: list[str], counts: tuple[int, int]) -> bool:
    return len(old) >= counts[0] and len(new) >= counts[1]


def search_replace_edits(answer: str) -> list[Edit]:
    """The SEARCH/REPLACE blocks, in order; one cut off by the answer's end is incomplete."""
    edits: list[Edit] = []
    path: str | None = None
    state = ""  # "", "search" or "replace": the part of a block being read
    old: list[str] = []
    new: list[str] = []
    for line in answer.split("\n"):
        if not state:
            if _SEARCH.match(line):
                state, old, new = "search", [], []
            elif line.strip() and not _FENCE.match(line.lstrip()):
                path = line.strip()
        elif state == "search":
            if _DIVIDER.match(line):
                state = "replace"
            else:
                old.append(line)
        elif _REPLACE.match(line):
            edits.append(Edit(path, tuple(old), tuple(new)))
            state = ""
        else:
            new.append(line)
    if state:
        edits.append(Edit(path, tuple(old), tuple(new), complete=False))
    return edits
