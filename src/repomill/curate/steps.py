"""The curation steps, in the order rows pass them: secrets (redact or drop), the quality
predicates, benchmark decontamination; then, over the whole dataset once the splits are
known, exact and near-duplicate removal (`Deduplicator`)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

from repomill.curate.decontam import Benchmark, from_jsonl, humaneval
from repomill.curate.dedup import DedupRow, duplicates_to_drop
from repomill.curate.minhash import signature
from repomill.curate.quality import QualityConfig, quality_reason
from repomill.curate.secrets import redact
from repomill.curate.settings import CurateConfig
from repomill.curate.text import code_tokens, dedup_text, sample_text
from repomill.engine.steps import Dropped, Filter, Row, Step


class RedactSecrets(Step):
    """Replaces secrets and e-mail addresses with typed placeholders (noted in the row's
    meta), or drops the row (`drop`). `identifiers`: fields whose strings are ids."""

    name = "curate.secrets"
    label = "after secret redaction"

    def __init__(self, drop: bool, identifiers: frozenset[str]):
        self.drop = drop
        self.identifiers = identifiers
        self.redactions: Counter[str] = Counter()
        self.redacted_rows = 0

    def apply(self, row: Row) -> Row | Dropped:
        found: Counter[str] = Counter()
        redacted = redact(row, found, self.identifiers)
        if not found:
            return row
        if self.drop:
            return Dropped("contains_secret", {"found": dict(found)})
        self.redactions.update(found)
        self.redacted_rows += 1
        meta = {**json.loads(redacted["meta"] or "{}"), "redacted": dict(sorted(found.items()))}
        return {**redacted, "meta": json.dumps(meta, ensure_ascii=False, sort_keys=True)}

    def summary(self) -> dict[str, Any]:
        return {"redacted_samples": self.redacted_rows,
                "redactions": dict(sorted(self.redactions.items()))}  # fmt: skip


class QualityFilter(Filter):
    name = "curate.quality"
    label = "after the quality predicates"

    def __init__(self, config: QualityConfig):
        self.config = config

    def reason(self, row: Row) -> str | None:
        return quality_reason(row, self.config)


class Decontaminate(Filter):
    """Drops rows overlapping a benchmark's problems (`contaminated:NAME`)."""

    name = "curate.decontamination"
    label = "after decontamination"

    def __init__(self, benchmarks: list[Benchmark]):
        self.benchmarks = benchmarks

    def _hits(self, row: Row) -> tuple[str, list[int]] | None:
        text = sample_text(row)
        for benchmark in self.benchmarks:
            if hits := benchmark.hits(text):
                return benchmark.name, hits
        return None

    def reason(self, row: Row) -> str | None:
        found = self._hits(row)
        return None if found is None else f"contaminated:{found[0]}"

    def detail(self, row: Row, reason: str) -> dict[str, Any]:
        return {"problems": self._hits(row)[1][:10]}


def benchmarks(config: CurateConfig) -> list[Benchmark]:
    loaded = [humaneval()] if config.humaneval else []
    return loaded + [from_jsonl(Path(p).expanduser()) for p in config.decontaminate]


def curation_steps(config: CurateConfig, identifiers: frozenset[str]) -> list[Step]:
    """The per-row steps `config` asks for (none when curation is off)."""
    if not config.enabled:
        return []
    return [RedactSecrets(config.secrets == "drop", identifiers), QualityFilter(config.quality),
            Decontaminate(benchmarks(config))]  # fmt: skip


class Deduplicator:
    """Fingerprints each row as it is written; once the rows' splits are known, says which
    to drop: of each cluster of copies, all but the one in the earliest split, oldest."""

    name = "curate.dedup"
    label = "after deduplication"

    def __init__(self, near_threshold: float):
        self.near_threshold = near_threshold
        self.fingerprints: list[tuple[str, bytes]] = []

    def add(self, row: Row) -> None:
        tokens = code_tokens(dedup_text(row))
        exact = hashlib.blake2b(" ".join(tokens).encode(), digest_size=16).hexdigest()
        near = signature(tokens) if self.near_threshold < 1 else b""
        self.fingerprints.append((exact, near))

    def drop(self, ranks: list[int], orders: list[tuple]) -> dict[int, str]:
        """Row position -> reason, for rows with split rank `ranks[i]` and within-split
        order `orders[i]` (in the order they were added)."""
        rows = [DedupRow(rank, order, exact, near) for rank, order, (exact, near)
                in zip(ranks, orders, self.fingerprints, strict=True)]  # fmt: skip
        return duplicates_to_drop(rows, self.near_threshold)
