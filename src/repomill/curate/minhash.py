"""MinHash signatures (rensa, Rust) and locality-sensitive hashing whose bands and rows
follow from a Jaccard threshold, as the point where false positives and false negatives
weigh the same, instead of being picked by hand."""

from __future__ import annotations

from array import array
from collections import defaultdict
from functools import cache

from rensa import RMinHash

NUM_PERM = 128
SHINGLE = 5  # tokens per shingle
SEED = 42


def shingles(tokens: list[str], size: int = SHINGLE) -> list[str]:
    if len(tokens) <= size:
        return [" ".join(tokens)] if tokens else []
    # zip stops at the shortest slice: exactly the windows that fit (strict would fail)
    return list(map(" ".join, zip(*(tokens[i:] for i in range(size)), strict=False)))


def signatures(shingle_sets: list[list[str]], num_perm: int = NUM_PERM) -> list[bytes]:
    """Signatures of many documents in one call into rensa (no Python object per
    document): the same digests as `signature`, faster in bulk."""
    matrix = RMinHash.digest_matrix_from_token_sets(shingle_sets, num_perm, SEED)
    return [array("I", row).tobytes() for row in matrix.to_rows()]


def signature(tokens: list[str], num_perm: int = NUM_PERM) -> bytes:
    """The MinHash digest as packed 32-bit values: 512 bytes a sample, not a list of 128
    Python ints (about 4.6 KB), so 100k signatures fit easily in memory."""
    minhash = RMinHash(num_perm, SEED)
    minhash.update(shingles(tokens))
    return array("I", minhash.digest()).tobytes()


def _integrate(f, a: float, b: float, steps: int = 200) -> float:
    width = (b - a) / steps
    return sum(f(a + (i + 0.5) * width) for i in range(steps)) * width


@cache
def lsh_params(threshold: float, num_perm: int = NUM_PERM) -> tuple[int, int]:
    """(bands, rows) with bands × rows ≤ num_perm minimizing the probability mass of false
    positives (pairs below the threshold that collide) plus false negatives (pairs above
    it that never do)."""
    best, best_error = (1, num_perm), float("inf")
    for bands in range(1, num_perm + 1):
        rows = num_perm // bands

        def collide(s: float, b: int = bands, r: int = rows) -> float:
            return 1 - (1 - s**r) ** b

        false_positive = _integrate(collide, 0.0, threshold)
        false_negative = _integrate(lambda s, c=collide: 1 - c(s), threshold, 1.0)
        if false_positive + false_negative < best_error:
            best, best_error = (bands, rows), false_positive + false_negative
    return best


def estimated_jaccard(a: bytes, b: bytes) -> float:
    x, y = array("I", a), array("I", b)
    return sum(1 for p, q in zip(x, y, strict=True) if p == q) / len(x)


def near_duplicate_pairs(signatures: list[bytes], threshold: float) -> list[tuple[int, int]]:
    """Pairs (i < j) whose signatures share a band and whose estimated Jaccard similarity
    reaches the threshold."""
    width = array("I").itemsize
    bands, rows = lsh_params(threshold, len(signatures[0]) // width if signatures else NUM_PERM)
    candidates: set[tuple[int, int]] = set()
    for band in range(bands):
        buckets: dict[bytes, list[int]] = defaultdict(list)
        start, end = band * rows * width, (band + 1) * rows * width
        for index, digest in enumerate(signatures):
            buckets[digest[start:end]].append(index)
        for members in buckets.values():
            for position, i in enumerate(members):
                candidates.update((i, j) for j in members[position + 1 :])
    return sorted(
        (i, j) for i, j in candidates
        if estimated_jaccard(signatures[i], signatures[j]) >= threshold
    )  # fmt: skip
