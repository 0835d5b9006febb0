"""The curation every recipe's samples pass before export. Per sample, as it is written:
secrets (redact or drop), quality predicates, benchmark decontamination. Over the whole
dataset, once the splits are known: exact and near-duplicate removal (`dedup.py`)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from repomill.curate.decontam import Benchmark, from_jsonl, humaneval
from repomill.curate.dedup import DEFAULT_THRESHOLD
from repomill.curate.minhash import signature
from repomill.curate.quality import QualityConfig, quality_reason
from repomill.curate.secrets import redact
from repomill.curate.text import code_tokens, dedup_text, sample_text


class CurateConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(True, description="curate at all (off: export as built)")
    secrets: Literal["redact", "drop"] = "redact"
    humaneval: bool = Field(True, description="decontaminate against HumanEval")
    decontaminate: list[str] = Field(default_factory=list, description="more JSONL benchmarks")
    dedup: bool = True
    # 0.7 on 5-token shingles: the near-duplicate threshold the StarCoder data pipeline
    # used for code; two samples sharing 70% of their shingles are copies (a cherry-pick,
    # a backport, a file moved and touched up), not two lessons.
    near_threshold: float = Field(DEFAULT_THRESHOLD, gt=0, le=1)
    quality: QualityConfig = QualityConfig()


class Curator:
    def __init__(self, config: CurateConfig):
        self.config = config
        self.benchmarks: list[Benchmark] = [humaneval()] if config.humaneval else []
        self.benchmarks += [from_jsonl(Path(p).expanduser()) for p in config.decontaminate]
        self.seen = 0
        self.rejected: Counter[str] = Counter()
        self.redactions: Counter[str] = Counter()
        self.redacted_samples = 0
        self.contamination: Counter[str] = Counter()

    def check(self, sample: dict[str, Any]) -> tuple[dict[str, Any] | None, str, str, dict]:
        """(the sample, possibly redacted, or None; and if None: reason, stage, detail)."""
        self.seen += 1
        found: Counter[str] = Counter()
        redacted = redact(sample, found)
        if found:
            if self.config.secrets == "drop":
                return self._reject("contains_secret", "curate.secrets", {"found": dict(found)})
            self.redactions.update(found)
            self.redacted_samples += 1
            meta = json.loads(redacted["meta"] or "{}")
            meta["redacted"] = dict(sorted(found.items()))
            sample = {**redacted, "meta": json.dumps(meta, ensure_ascii=False, sort_keys=True)}
        reason = quality_reason(sample, self.config.quality)
        if reason is not None:
            return self._reject(reason, "curate.quality", {})
        text = sample_text(sample)
        for benchmark in self.benchmarks:
            hits = benchmark.hits(text)
            if hits:
                self.contamination[benchmark.name] += 1
                return self._reject(f"contaminated:{benchmark.name}", "curate.decontamination",
                                    {"problems": hits[:10]})  # fmt: skip
        return sample, "", "", {}

    def _reject(self, reason: str, stage: str, detail: dict) -> tuple[None, str, str, dict]:
        self.rejected[reason] += 1
        return None, reason, stage, detail

    def fingerprint(self, sample: dict[str, Any]) -> tuple[str, bytes]:
        """(exact hash of the normalized text, MinHash signature) for dedup."""
        tokens = code_tokens(dedup_text(sample))
        exact = hashlib.blake2b(" ".join(tokens).encode(), digest_size=16).hexdigest()
        return exact, signature(tokens) if self.config.near_threshold < 1 else b""

    def summary(self) -> dict[str, Any]:
        return {
            "samples_in": self.seen,
            "rejected": dict(sorted(self.rejected.items())),
            "redacted_samples": self.redacted_samples,
            "redactions": dict(sorted(self.redactions.items())),
            "contaminated_by": dict(sorted(self.contamination.items())),
        }
