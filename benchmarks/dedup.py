"""Near-dedup speed on synthetic code documents of about 2 KB; prints one JSON line.

    python benchmarks/dedup.py [--sizes 10000 100000]

For each size: documents/s for tokenizing + MinHash signatures alone (one core), and for
the whole near-dedup (signatures, LSH candidate pairs, verification, clusters). One
document in ten is a lightly edited copy of another, so clusters exist to be found."""

from __future__ import annotations

import argparse
import json
import random
import time

from repomill.curate.dedup import DedupRow, duplicates_to_drop
from repomill.curate.minhash import signature
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


def measure(size: int) -> dict:
    docs = corpus(size)
    started = time.perf_counter()
    fingerprints = [(" ".join(t), signature(t)) for t in map(code_tokens, docs)]
    signing = time.perf_counter() - started
    rows = [DedupRow("train", (i,), exact, sig) for i, (exact, sig) in enumerate(fingerprints)]
    started = time.perf_counter()
    dropped = duplicates_to_drop(rows, 0.7)
    clustering = time.perf_counter() - started
    return {
        "documents": size,
        "mean_bytes": round(sum(map(len, docs)) / size),
        "signature_docs_per_s": round(size / signing),
        "near_dedup_docs_per_s": round(size / (signing + clustering)),
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
