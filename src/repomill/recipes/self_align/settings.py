"""Settings of the self-align recipe (`[self_align]` in the config, `--…` on the CLI)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class SelfAlignConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int | None = Field(None, ge=1, description="seeds to use at most")
    samples: int = Field(5, ge=1, description="responses per instruction")
    keep: Literal["first", "all-passing"] = "first"
    target_language: str | None = Field(None, description="answer in this language")
    max_tokens: int = Field(1024, ge=64, description="tokens per response")
    workers: int = Field(2, ge=1, description="sandboxed executions at once")
    wall_seconds: float = Field(10.0, gt=0, description="per execution")
    unsafe_no_sandbox: bool = False
    validation: float = Field(0.1, ge=0, le=0.5)
    test: float = Field(0.1, ge=0, le=0.5)
    format: Literal["parquet", "jsonl"] = "parquet"
    tokenizer: str | None = None
