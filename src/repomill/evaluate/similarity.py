"""Edit similarity: difflib's ratio 2·M / T, M the characters two texts share in order and
T their length (each text ended by a newline), computed in two steps so that it stays
fast on long texts: difflib matches whole lines first, then characters within each pair
of unmatched stretches. A stretch pair of more than MAX_PAIR_CHARS² character pairs
shares nothing; a text more than LONGER times the other's length (+ SLACK characters), a
runaway answer, scores the most its length allows, 2·min / T, without comparing."""

from __future__ import annotations

import difflib

MAX_PAIR_CHARS = 4000
LONGER, SLACK = 10, 10_000


def similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    total = len(a) + len(b) + 2
    short, long = sorted((len(a), len(b)))
    if long > LONGER * short + SLACK:
        return round(2 * (short + 1) / total, 4)
    old, new = (a + "\n").split("\n")[:-1], (b + "\n").split("\n")[:-1]
    lines = difflib.SequenceMatcher(None, old, new, autojunk=False)
    shared = 0
    for tag, i1, i2, j1, j2 in lines.get_opcodes():
        if tag == "equal":
            shared += sum(len(line) + 1 for line in old[i1:i2])
        elif tag == "replace":
            left = "".join(line + "\n" for line in old[i1:i2])
            right = "".join(line + "\n" for line in new[j1:j2])
            if len(left) * len(right) <= MAX_PAIR_CHARS * MAX_PAIR_CHARS:
                chars = difflib.SequenceMatcher(None, left, right, autojunk=False)
                shared += sum(block.size for block in chars.get_matching_blocks())
    return round(2 * shared / total, 4)
