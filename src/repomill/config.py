"""Settings as pydantic models, loadable from a TOML file; every CLI flag maps to a field."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from repomill.errors import UserError


class IndexConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rev: str | None = Field(None, description="git revision to read (default HEAD)")
    workers: int | None = Field(None, ge=1, description="worker processes (default: cores)")
    max_file_bytes: int = Field(1_000_000, ge=1, description="skip larger files")
    max_chunk_bytes: int = Field(4000, ge=200, description="split units larger than this")
    shard_files: int = Field(16, ge=1, description="average files per cached shard")


class RepomillConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    index: IndexConfig = IndexConfig()


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
