"""Near-dedup speed on synthetic code documents of about 2 KB; prints one JSON line.

    python benchmarks/dedup.py [--sizes 10000 100000]

For each size, on one core, in documents/s: MinHash signatures from shingle hashes (rensa's
matrix call alone); `signatures` in bulk (shingle hashing and the conversion to the packed
form dedup keeps included) and one document at a time; tokenizing; shingle hashing; and
the whole near-dedup (tokens, signatures, LSH candidate pairs, verification, clusters).
One document in ten is a lightly edited copy of another, so clusters exist."""

from __future__ import annotations

import argparse
import json
import random
import time

import numpy as np
from rensa import RMinHash

from repomill.curate.dedup import DedupRow, duplicates_to_drop
from repomill.curate.minhash import NUM_PERM, SEED, shingle_hashes, signature, signatures
from repomill.curate.text import code_tokens

WORDS = ["value", "count", "index", "total", "items", "result", "buffer", "config",
         "parser", "token", "node", "cache", "window", "offset", "length", "record",
         "stream", "handle", "error", "state", "queue", "event"]  # fmt: skip


def document(rng: random.Random) -> str:
    lines = []
    while sum(len(line) + 1 for line in lines) < 2000:
        a, b, c = rng.sample(WORDS, 3)
        n = rng.randrange(1000)
        lines += [f"def {a}_{b}_{n}({c}, {b}=None):",
                  f"    {a} = [{c} * {n} for {c} in range({b} or {n})]",
                  f"    if len({a}) > {n % 97}:",
                  f"        return {a}[{n % 7}] + {rng.random():.4f}",
                  f"    return sum({a}) // {n + 1}", ""]  # fmt: skip
    return "\n".join(lines)


def corpus(size: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    docs = [document(rng) for _ in range(size - size // 10)]
    for _ in range(size // 10):  # near-copies: one line changed
        lines = rng.choice(docs).split("\n")
        lines[rng.randrange(len(lines))] = "    # touched up"
        docs.append("\n".join(lines))
    return docs


def measure(size: int, batch: int = 1000) -> dict:
    """Documents go through in batches, as a pipeline streams them; only the signatures
    and exact hashes of all of them are kept for the clustering at the end."""
    docs = corpus(size)
    tokenizing = shingling = rensa_only = bulk = single = 0.0
    rows = []
    for start in range(0, size, batch):
        began = time.perf_counter()
        tokens = [code_tokens(doc) for doc in docs[start : start + batch]]
        tokenizing += time.perf_counter() - began
        began = time.perf_counter()
        hashed = [shingle_hashes(t) for t in tokens]
        shingling += time.perf_counter() - began
        flat = np.concatenate(hashed)
        offsets = np.concatenate([[0], np.cumsum([len(h) for h in hashed])]).astype(np.uint64)
        began = time.perf_counter()
        RMinHash.digest_matrix_from_flat_token_hashes(flat, offsets, NUM_PERM, SEED)
        rensa_only += time.perf_counter() - began
        began = time.perf_counter()
        digests = signatures(tokens)
        bulk += time.perf_counter() - began
        began = time.perf_counter()
        one_by_one = [signature(t) for t in tokens]
        single += time.perf_counter() - began
        assert one_by_one == digests
        rows += [DedupRow(0, (start + i,), " ".join(t), digest)
                 for i, (t, digest) in enumerate(zip(tokens, digests, strict=True))]  # fmt: skip
    began = time.perf_counter()
    dropped = duplicates_to_drop(rows, 0.7)
    clustering = time.perf_counter() - began
    return {
        "documents": size,
        "mean_bytes": round(sum(map(len, docs)) / size),
        "signature_docs_per_s_rensa_matrix": round(size / rensa_only),
        "signature_docs_per_s_bulk_with_hashing": round(size / bulk),
        "signature_docs_per_s_one_by_one": round(size / single),
        "tokenize_docs_per_s": round(size / tokenizing),
        "shingle_hashing_docs_per_s": round(size / shingling),
        # tokens, then `signatures` (shingle hashing included), then clustering
        "near_dedup_docs_per_s": round(size / (tokenizing + bulk + clustering)),
        "dropped": len(dropped),
        "planted_copies": size // 10,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    print(json.dumps({"benchmark": "dedup", "runs": [measure(n) for n in args.sizes]}))


if __name__ == "__main__":
    main()
