"""Settings of the commit recipe (`[commits]` in the config)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class CommitsConfig(BaseModel):
    """The commit recipe (`repomill build --recipe commits`)."""

    model_config = ConfigDict(extra="forbid")

    max_commits: int | None = Field(None, ge=1, description="newest commits to read")
    since: str | None = Field(None, description="only commits at or after this date")
    until: str | None = Field(None, description="only commits at or before this date")
    first_parent: bool = Field(False, description="walk only the branch's first-parent line")
    per_unit: bool = Field(False, description="one example per changed unit, not per commit")
    target: Literal["whole", "udiff", "search-replace"] = "whole"
    max_tokens: int = Field(4096, ge=256, description="token budget of one example")
    tokenizer: str | None = Field(None, description="tokenizer (default qwen2.5)")
    max_files: int = Field(50, ge=1, description="reject commits changing more files")
    max_lines: int = Field(2000, ge=1, description="reject more changed lines in code files")
    validation: float = Field(0.1, ge=0, le=0.5, description="share of newest-but-test rows")
    test: float = Field(0.1, ge=0, le=0.5, description="share of the newest rows")
    shard_commits: int = Field(64, ge=1, description="average commits per cached shard")
    format: Literal["parquet", "jsonl"] = "parquet"
