"""Changed units: map a file's hunks to the syntax units they touch (the innermost function,
method, class, impl… around each changed line) on both sides of a change, and pair the old
and new versions of each unit by qualified name.

Lines a hunk changes outside every definition (imports, constants, top-level statements
and calls) form a `<module>` unit of their own: its code is exactly those lines (grown to
the whole of a multi-line constant they fall in: a whole string, not one line of it), and it
says where they are in both versions of the file, so one whose lines are all added to an
existing file (or all removed from one) still has its place: its start line on the other
side is the line it goes before. Every unit's code is whole lines of its blob, from the start of its
first line (so a method keeps its indentation: `    def get(self):`, not `def get(self):`
above a body indented for the class) through its last line's newline, so it is a verbatim
slice that lines `start_line`.. of the file hold, and edits of it apply to the file."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from itertools import accumulate
from typing import Any

from repomill.code.languages.base import CONSTANT
from repomill.sources.git_diff import Hunk

MODULE = "<module>"
MAX_WIDENED_LINES = 200  # a change inside a longer constant keeps to its own lines


@dataclass
class Unit:
    path: str  # the file's path at the commit (at the parent for a removed file)
    # where old_code comes from: the file's path at the parent (another one when the file
    # was renamed or moved); "" when the unit is new (a new definition, any unit of an
    # added file)
    old_path: str
    symbol: str
    kind: str
    old_code: str
    new_code: str
    # the first line of old_code; for a unit new to an existing file, the old line its
    # lines go before; 0 in a new file
    old_start_line: int
    # the first line of new_code; for a unit removed from a file that stays, the new line
    # its lines were before; 0 in a removed file
    new_start_line: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Side:
    """One version of a file: its text and its definitions (symbols from `index_file`)."""

    source: bytes
    symbols: list[dict[str, Any]]

    def __post_init__(self) -> None:
        # a top-level named value is context, not a unit: its lines are the module's, and a
        # change inside it takes in the whole statement (not one line of a long string)
        spans = [(s["start_line"], s["end_line"]) for s in self.symbols if s["kind"] == CONSTANT]
        self.constants = sorted((a, b) for a, b in spans if 0 < b - a < MAX_WIDENED_LINES)
        self.symbols = [s for s in self.symbols if s["kind"] != CONSTANT]
        # each line's start: after every newline (lengths summed in C, not a Python loop)
        lengths = map(len, self.source.split(b"\n")[:-1])
        self.line_starts = [0, *accumulate(map((1).__add__, lengths))]
        self.lines = len(self.line_starts) - (1 if self.source.endswith(b"\n") else 0)
        # innermost[line] = index of the smallest symbol covering it, or -1
        self.innermost = [-1] * (self.lines + 2)
        order = sorted(range(len(self.symbols)), key=self._span_key)
        for position in order:
            first, last = self.symbols[position]["start_line"], self.symbols[position]["end_line"]
            self.innermost[first : last + 1] = [position] * (last + 1 - first)
        by_name = {s["qualname"]: i for i, s in reversed(list(enumerate(self.symbols)))}
        self.parent_of = [by_name.get(s["parent"], -1) for s in self.symbols]

    def _span_key(self, position: int) -> tuple[int, int]:
        symbol = self.symbols[position]
        return (-(symbol["end_line"] - symbol["start_line"]), symbol["start_line"])

    def enclosing(self, position: int, line: int) -> int:
        """`position` or its nearest ancestor that also covers `line`, or -1."""
        while position >= 0:
            symbol = self.symbols[position]
            if symbol["start_line"] <= line <= symbol["end_line"]:
                return position
            position = self.parent_of[position]
        return -1

    def line_text(self, first: int, last: int) -> str:
        """Lines `first`..`last` (1-based), whole: indentation and final newline included."""
        start = self.line_starts[first - 1]
        end = self.line_starts[last] if last < len(self.line_starts) else len(self.source)
        return self.source[start:end].decode("utf-8")


def _touched(side: Side | None, start: int, count: int) -> tuple[set[int], list[list[int]]]:
    """(symbols the hunk touches on this side, its runs of changed lines outside every
    symbol). A pure insertion or deletion (count 0) sits between lines `start` and
    `start + 1`, and touches the innermost symbol covering both."""
    if side is None:
        return set(), []
    if count == 0:
        inside = side.innermost[start] if 0 < start <= side.lines else -1
        owner = side.enclosing(inside, start + 1)
        return ({owner} if owner >= 0 else set()), []
    symbols: set[int] = set()
    runs: list[list[int]] = []
    for line in range(start, min(start + count - 1, side.lines) + 1):
        owner = side.innermost[line]
        if owner >= 0:
            symbols.add(owner)
        elif runs and runs[-1][-1] == line - 1:
            runs[-1].append(line)
        else:
            runs.append([line])
    return symbols, _widened(side, runs)


def _overlap(run: list[int], later: list[int]) -> bool:
    return bool(run and later) and later[0] <= run[-1]


def _joined(run: list[int], other: list[int]) -> list[int]:
    if not run or not other:
        return run or other
    return list(range(min(run[0], other[0]), max(run[-1], other[-1]) + 1))


def _widened(side: Side, runs: list[list[int]]) -> list[list[int]]:
    """Runs of module-level lines, each grown to the whole of every multi-line constant
    it touches (runs that then meet become one)."""
    if not side.constants:
        return runs
    grown: list[list[int]] = []
    for run in runs:
        first, last = run[0], run[-1]
        for start, end in side.constants:
            if start <= last and first <= end:
                first, last = min(first, start), max(last, end)
        if grown and first <= grown[-1][-1] + 1:
            first = grown.pop()[0]
        grown.append(list(range(first, last + 1)))
    return grown


def _ancestors(side: Side, position: int) -> set[str]:
    names = set()
    position = side.parent_of[position]
    while position >= 0:
        names.add(side.symbols[position]["qualname"])
        position = side.parent_of[position]
    return names


def _keyed(symbols: list[dict[str, Any]]) -> dict[tuple, dict]:
    """Key each symbol by (qualname, kind, n-th of that name in the file) so overloads and
    repeated names pair up in order."""
    ordinal: Counter[tuple[str, str]] = Counter()
    keyed = {}
    for symbol in symbols:
        name = (symbol["qualname"], symbol["kind"])
        keyed[(*name, ordinal[name])] = symbol
        ordinal[name] += 1
    return keyed


def changed_units(
    old_path: str | None,
    new_path: str | None,
    old: Side | None,
    new: Side | None,
    hunks: list[Hunk],
) -> list[Unit]:
    """The units a file change touches, in new-file order (removed ones last)."""
    old_touched: set[int] = set()
    new_touched: set[int] = set()
    units: list[Unit] = []
    path = new_path or old_path or ""
    modules: list[tuple[list[int], list[int], Hunk]] = []  # (old run, new run, first hunk)
    for hunk in hunks:
        old_symbols, old_runs = _touched(old, hunk.old_start, hunk.old_lines)
        new_symbols, new_runs = _touched(new, hunk.new_start, hunk.new_lines)
        old_touched |= old_symbols
        new_touched |= new_symbols
        # Runs of module-level lines pair up in order within a hunk; runs of two hunks
        # that overlap (grown to one constant) are one.
        for i in range(max(len(old_runs), len(new_runs))):
            old_run = old_runs[i] if i < len(old_runs) else []
            new_run = new_runs[i] if i < len(new_runs) else []
            last = modules[-1] if modules else None
            if last and (_overlap(last[0], old_run) or _overlap(last[1], new_run)):
                modules[-1] = (_joined(last[0], old_run), _joined(last[1], new_run), last[2])
            else:
                modules.append((old_run, new_run, hunk))
    for old_run, new_run, hunk in modules:
        module = _module_unit(path, old_path, old, new, old_run, new_run, hunk)
        if module is not None:
            units.append(module)
    # A symbol touched on one side is a changed unit on both; a touched symbol inside
    # another touched one is left to it (a changed class carries its changed methods).
    old_all = _keyed(old.symbols) if old else {}
    new_all = _keyed(new.symbols) if new else {}
    touched = [(new, new_all, new_touched), (old, old_all, old_touched)]
    keys: dict[tuple, set[str]] = {}
    for side, keyed, positions in touched:
        by_position = {id(symbol): key for key, symbol in keyed.items()}
        for position in sorted(positions):
            key = by_position[id(side.symbols[position])]
            keys.setdefault(key, set()).update(_ancestors(side, position))
    chosen = {key[0] for key in keys}
    keys = {key: up for key, up in keys.items() if not up & chosen}
    for key in keys:
        before, after = old_all.get(key), new_all.get(key)
        old_code = old.line_text(before["start_line"], before["end_line"]) if before else ""
        new_code = new.line_text(after["start_line"], after["end_line"]) if after else ""
        if _same(old_code, new_code):
            continue
        old_start = (before["start_line"] if before
                     else _across(hunks, after["start_line"], old, from_new=True))  # fmt: skip
        new_start = (after["start_line"] if after
                     else _across(hunks, before["start_line"], new, from_new=False))  # fmt: skip
        units.append(Unit(path, (old_path or "") if before else "", key[0], key[1], old_code,
                          new_code, old_start, new_start))  # fmt: skip
    units.sort(key=lambda u: (u.new_start_line == 0, u.new_start_line or u.old_start_line))
    return units


def _same(old_code: str, new_code: str) -> bool:
    """Equal but for a final newline (lines added after a last line that had none)."""
    return old_code.removesuffix("\n") == new_code.removesuffix("\n")


def _module_unit(path, old_path, old, new, old_run: list[int], new_run: list[int],
                 hunk: Hunk) -> Unit | None:  # fmt: skip
    old_code = old.line_text(old_run[0], old_run[-1]) if old_run else ""
    new_code = new.line_text(new_run[0], new_run[-1]) if new_run else ""
    if not old_code.strip() and not new_code.strip() or _same(old_code, new_code):
        return None
    old_start = old_run[0] if old_run else 0
    new_start = new_run[0] if new_run else 0
    if not old_run and old is not None:  # lines added to an existing file
        old_start = _before(new_run[0], hunk.new_start, hunk.old_start, hunk.old_lines)
    if not new_run and new is not None:  # lines removed from a file that stays
        new_start = _before(old_run[0], hunk.old_start, hunk.new_start, hunk.new_lines)
    return Unit(path, (old_path or "") if old is not None else "", MODULE, "module", old_code,
                new_code, old_start, new_start)  # fmt: skip


def _across(hunks: list[Hunk], line: int, other: Side | None, from_new: bool) -> int:
    """For a unit that starts at `line` on one side (the new one if `from_new`) and is
    missing on the other: the line of the other side it goes (or went) before, or 0 when
    that side has no file."""
    if other is None:
        return 0
    for hunk in hunks:
        here = (hunk.new_start, hunk.new_lines) if from_new else (hunk.old_start, hunk.old_lines)
        there = (hunk.old_start, hunk.old_lines) if from_new else (hunk.new_start, hunk.new_lines)
        if here[0] <= line < here[0] + here[1]:
            return _before(line, here[0], *there)
    return 0


def _before(line: int, start: int, other_start: int, other_lines: int) -> int:
    """The line of the hunk's other side that `line` (on this side, the hunk starting at
    `start`) goes before. A hunk with no lines on the other side sits after its
    `other_start`; otherwise lines map across in order, within the hunk's other lines."""
    if other_lines == 0:
        return other_start + 1
    return min(max(other_start + line - start, other_start), other_start + other_lines)
