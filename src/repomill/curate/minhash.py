"""MinHash signatures (rensa, Rust) and locality-sensitive hashing whose bands and rows
follow from a Jaccard threshold, as the point where false positives and false negatives
weigh the same, instead of being picked by hand."""

from __future__ import annotations

import hashlib
from array import array
from collections import defaultdict
from functools import cache

import numpy as np
from rensa import RMinHash

NUM_PERM = 128
SHINGLE = 5  # tokens per shingle
SEED = 42


# Shingles are hashed, not joined into strings: each token gets a stable 64-bit hash (cached,
# since code repeats its tokens endlessly), and a shingle's hash is a polynomial of its
# tokens' hashes, computed for a whole document at once with numpy (uint64 wraps around).
_SHINGLE_MULTIPLIER = np.uint64(0x100000001B3)
_token_hashes: dict[str, int] = {}
MAX_CACHED_TOKENS = 1 << 20


def _token_hash(token: str) -> int:
    found = _token_hashes.get(token)
    if found is None:
        found = int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(), "little")
        if len(_token_hashes) < MAX_CACHED_TOKENS:
            _token_hashes[token] = found
    return found


def shingle_hashes(tokens: list[str], size: int = SHINGLE) -> np.ndarray:
    """One 64-bit hash per window of `size` tokens (one for a shorter document)."""
    get = _token_hashes.get
    values = [get(token) for token in tokens]
    if None in values:
        values = [_token_hash(t) if v is None else v for t, v in zip(tokens, values, strict=True)]
    hashes = np.array(values, dtype=np.uint64)
    count = max(1, len(hashes) - size + 1) if len(hashes) else 0
    out = np.zeros(count, dtype=np.uint64)
    for k in range(min(size, len(hashes))):
        out = out * _SHINGLE_MULTIPLIER + hashes[k : k + count]
    return out


def signatures(token_lists: list[list[str]], num_perm: int = NUM_PERM) -> list[bytes]:
    """MinHash digests of many documents in one call into rensa, as packed 32-bit values:
    512 bytes a document rather than a list of 128 Python ints (about 4.6 KB)."""
    arrays = [shingle_hashes(tokens) for tokens in token_lists]
    # an empty document gets one fixed hash, so every row has a digest
    arrays = [a if len(a) else np.zeros(1, dtype=np.uint64) for a in arrays]
    offsets = np.zeros(len(arrays) + 1, dtype=np.uint64)
    np.cumsum([len(a) for a in arrays], out=offsets[1:])
    flat = np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.uint64)
    matrix = RMinHash.digest_matrix_from_flat_token_hashes(flat, offsets, num_perm, SEED)
    return [array("I", row).tobytes() for row in matrix.to_rows()]


def signature(tokens: list[str], num_perm: int = NUM_PERM) -> bytes:
    return signatures([tokens], num_perm)[0]


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
