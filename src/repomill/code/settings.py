"""Settings of the code index (`[index]` in the config)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class IndexConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rev: str | None = Field(None, description="git revision to read (default HEAD)")
    workers: int | None = Field(None, ge=1, description="worker processes (default: cores)")
    max_file_bytes: int = Field(1_000_000, ge=1, description="skip larger files")
    max_chunk_bytes: int = Field(4000, ge=200, description="split units larger than this")
    shard_files: int = Field(16, ge=1, description="average files per cached shard")
