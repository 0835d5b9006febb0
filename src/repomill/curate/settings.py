"""Settings of the curation every recipe's samples pass (`[curate]` in the config); the
steps themselves are in `steps.py`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from repomill.curate.dedup import DEFAULT_THRESHOLD
from repomill.curate.quality import QualityConfig


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
