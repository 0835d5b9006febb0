"""The whole configuration, loadable from a TOML file: one section per package, each
package owning its settings model; every CLI flag maps to a field."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from repomill.code.settings import IndexConfig
from repomill.curate.curator import CurateConfig
from repomill.errors import UserError
from repomill.llm.factory import LLMConfig
from repomill.recipes.commits.settings import CommitsConfig
from repomill.recipes.self_align.settings import SelfAlignConfig


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
