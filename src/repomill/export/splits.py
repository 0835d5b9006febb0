"""Leakage-free splits by time: the oldest rows go to train and the newest to test, and a
cut never falls inside a commit or between two commits with the same timestamp, so nothing
in train is later than anything in validation or test."""

from __future__ import annotations

from collections.abc import Sequence


def time_split_bounds(
    times: Sequence[int], groups: Sequence[str], validation: float, test: float
) -> dict[str, tuple[int, int]]:
    """Row ranges [start, end) per split for rows sorted by time. `groups` (commit ids)
    and equal times are never divided between splits."""
    n = len(times)
    train_end = _snap(times, groups, round(n * (1 - validation - test)))
    validation_end = _snap(times, groups, max(train_end, round(n * (1 - test))))
    return {
        "train": (0, train_end),
        "validation": (train_end, validation_end),
        "test": (validation_end, n),
    }


def _snap(times: Sequence[int], groups: Sequence[str], cut: int) -> int:
    """Move a cut forward until it falls between two different commits with different
    times."""
    cut = min(max(cut, 0), len(times))
    while 0 < cut < len(times) and (times[cut] == times[cut - 1] or groups[cut] == groups[cut - 1]):
        cut += 1
    return cut
