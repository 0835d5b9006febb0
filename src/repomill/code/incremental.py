"""Incremental parsing: successive versions of one file (a commit's new blob after its old
one, a branch's copy of a file after another's) are parsed with tree-sitter's incremental
mode. The previous version's tree, edited to the new text, lets the parser reuse every
subtree outside the changed region, so a small edit to a large file costs little."""

from __future__ import annotations

from collections import OrderedDict

from tree_sitter import Tree

from repomill.code.languages import parser


def _common_prefix(a: bytes, b: bytes) -> int:
    """Length of the common prefix, by binary search over slice comparisons (memcmp)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _common_suffix(a: bytes, b: bytes, limit: int) -> int:
    lo, hi = 0, limit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[len(a) - mid :] == b[len(b) - mid :]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _point(source: bytes, offset: int) -> tuple[int, int]:
    row = source.count(b"\n", 0, offset)
    return row, offset - (source.rfind(b"\n", 0, offset) + 1)


def single_edit(old: bytes, new: bytes) -> dict | None:
    """The one edit (first to last differing byte) that turns `old` into `new`, in the
    form `Tree.edit` takes; None if they are equal."""
    if old == new:
        return None
    start = _common_prefix(old, new)
    tail = _common_suffix(old, new, min(len(old), len(new)) - start)
    old_end, new_end = len(old) - tail, len(new) - tail
    return {
        "start_byte": start,
        "old_end_byte": old_end,
        "new_end_byte": new_end,
        "start_point": _point(old, start),
        "old_end_point": _point(old, old_end),
        "new_end_point": _point(new, new_end),
    }


class IncrementalParser:
    """Remembers the last tree parsed for each (path, language), a bounded number of them."""

    def __init__(self, keep: int = 256):
        self._keep = keep
        self._last: OrderedDict[tuple[str, str], tuple[bytes, Tree]] = OrderedDict()

    def parse(self, path: str, language: str, source: bytes) -> Tree:
        key = (path, language)
        previous = self._last.pop(key, None)
        if previous is not None and previous[0] == source:
            tree = previous[1]
        elif previous is not None:
            old_source, old_tree = previous
            old_tree.edit(**single_edit(old_source, source))
            tree = parser(language).parse(source, old_tree)
        else:
            tree = parser(language).parse(source)
        self._last[key] = (source, tree)
        while len(self._last) > self._keep:
            self._last.popitem(last=False)
        return tree
