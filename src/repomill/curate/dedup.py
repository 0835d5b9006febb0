"""Exact and near-duplicate removal across a whole dataset. Duplicates form clusters
(exact hash, or MinHash/LSH near-duplicates, joined transitively); each cluster keeps one
sample — the one in the earliest split (train before validation before test), then the
oldest — so no two kept samples in different splits are near-copies: zero leakage."""

from __future__ import annotations

from dataclasses import dataclass

from repomill.curate.minhash import near_duplicate_pairs

DEFAULT_THRESHOLD = 0.7


@dataclass
class DedupRow:
    split: int  # the split's rank: of copies in several splits the earliest one stays
    order: tuple  # smaller keeps first within a split (e.g. commit time, commit, id)
    exact: str  # hash of the normalized text
    signature: bytes


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _union(parent: list[int], i: int, j: int) -> None:
    a, b = _find(parent, i), _find(parent, j)
    if a != b:
        parent[max(a, b)] = min(a, b)


def duplicates_to_drop(
    rows: list[DedupRow], threshold: float = DEFAULT_THRESHOLD
) -> dict[int, str]:
    """Row position -> reason (`exact_duplicate`, `near_duplicate`, or
    `duplicate_across_splits` for an evaluation sample with a copy in an earlier split)."""
    parent = list(range(len(rows)))
    first_by_hash: dict[str, int] = {}
    for position, row in enumerate(rows):
        _union(parent, position, first_by_hash.setdefault(row.exact, position))
    if threshold < 1:
        for i, j in near_duplicate_pairs([r.signature for r in rows], threshold):
            _union(parent, i, j)
    clusters: dict[int, list[int]] = {}
    for position in range(len(rows)):
        clusters.setdefault(_find(parent, position), []).append(position)
    dropped: dict[int, str] = {}
    for members in clusters.values():
        if len(members) < 2:
            continue
        members.sort(key=lambda p: (rows[p].split, rows[p].order))
        keeper = rows[members[0]]
        for position in members[1:]:
            row = rows[position]
            if row.split != keeper.split:
                dropped[position] = "duplicate_across_splits"
            elif row.exact == keeper.exact:
                dropped[position] = "exact_duplicate"
            else:
                dropped[position] = "near_duplicate"
    return dropped
