"""Settings as pydantic models, loadable from a TOML file; every CLI flag maps to a field."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from repomill.curate.curator import CurateConfig
from repomill.errors import UserError
from repomill.llm.factory import LLMConfig
from repomill.recipes.self_align.settings import SelfAlignConfig


class IndexConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rev: str | None = Field(None, description="git revision to read (default HEAD)")
    workers: int | None = Field(None, ge=1, description="worker processes (default: cores)")
    max_file_bytes: int = Field(1_000_000, ge=1, description="skip larger files")
    max_chunk_bytes: int = Field(4000, ge=200, description="split units larger than this")
    shard_files: int = Field(16, ge=1, description="average files per cached shard")


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


class RepomillConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    index: IndexConfig = IndexConfig()
    commits: CommitsConfig = CommitsConfig()
    curate: CurateConfig = CurateConfig()
    llm: LLMConfig = LLMConfig()
    self_align: SelfAlignConfig = SelfAlignConfig()


def load_config(path: Path | None) -> RepomillConfig:
    if path is None:
        return RepomillConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{path}: config file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: malformed TOML ({exc})") from None
    try:
        return RepomillConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise UserError(f"{path}: {where}: {first['msg']}") from None
