"""Edits to a unit's old code (a udiff hunk, a SEARCH/REPLACE block) and how one is
applied: its old lines are looked for in the unit's old code, at the line the answer says
when it says one (and they are there), else at their first place after the previous edit.
Lines compare without trailing whitespace. Each look-up is anchored on the edit's rarest
line, so a line the old code lacks fails at once: the cost is bounded by the old code's
size, not the answer's."""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass


@dataclass(frozen=True)
class Edit:
    path: str | None  # the file the answer names for it (None: none named)
    old: tuple[str, ...]  # the lines to find, without terminators
    new: tuple[str, ...]  # the lines that replace them
    line: int | None = None  # the file line the answer says `old` starts at (udiff)
    new_line: int | None = None  # and the line the new code starts at
    complete: bool = True  # False: cut off (a truncated answer); never applies


def split_lines(code: str) -> list[str]:
    """Lines split at "\\n" only (as the answer is read), the final newline starting none."""
    lines = code.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


class OldCode:
    """A unit's old code, indexed for finding the lines of edits."""

    def __init__(self, code: str, first_line: int):
        self.lines = split_lines(code)
        self.keys = [line.rstrip() for line in self.lines]
        self.first_line = max(first_line, 1)
        self.positions: dict[str, list[int]] = defaultdict(list)
        for position, key in enumerate(self.keys):
            self.positions[key].append(position)

    def covers(self, line: int) -> bool:
        return self.first_line <= line < self.first_line + len(self.lines)

    def find(self, edit: Edit, cursor: int = 0) -> int | None:
        """Where `edit`'s old lines start at or after `cursor`, or None."""
        wanted = [line.rstrip() for line in edit.old]
        if not edit.complete or len(wanted) > len(self.keys) - cursor:
            return None
        preferred = None
        if edit.line is not None:  # an empty old side inserts after its line
            preferred = edit.line - self.first_line + (0 if wanted else 1)
        if not wanted:  # an insertion: where it says, else only into empty old code
            if preferred is not None and cursor <= preferred <= len(self.keys):
                return preferred
            return cursor if not self.keys else None
        if preferred is not None and preferred >= cursor and self._at(preferred, wanted):
            return preferred
        return self._search(wanted, cursor)

    def _at(self, start: int, wanted: list[str]) -> bool:
        return self.keys[start : start + len(wanted)] == wanted

    def _search(self, wanted: list[str], cursor: int) -> int | None:
        counts = [len(self.positions.get(key, ())) for key in wanted]
        anchor = min(range(len(wanted)), key=counts.__getitem__)
        if not counts[anchor]:
            return None
        found = self.positions[wanted[anchor]]
        for position in found[bisect_left(found, cursor + anchor) :]:
            start = position - anchor
            if start + len(wanted) > len(self.keys):
                return None
            if self._at(start, wanted):
                return start
        return None

    def apply(self, edits: list[Edit]) -> tuple[str | None, int]:
        """(the new code, how many edits applied); None as the code when none did. Edits
        apply in order, each after the one before; one that does not apply is skipped."""
        out: list[str] = []
        cursor = applied = 0
        for edit in edits:
            at = self.find(edit, cursor)
            if at is None:
                continue
            out.extend(self.lines[cursor:at])
            out.extend(edit.new)
            cursor = at + len(edit.old)
            applied += 1
        if not applied:
            return None, 0
        out.extend(self.lines[cursor:])
        return "".join(line + "\n" for line in out), applied
