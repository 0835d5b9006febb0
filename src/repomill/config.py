"""The whole configuration, loadable from a TOML file: a table per shared package
(`[index]`, `[engine]`, `[curate]`, `[llm]`) and one per registered recipe (`[commits]`,
`[self_align]`), each package or recipe owning its settings model; every CLI flag maps to
a field."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from repomill.code.settings import IndexConfig
from repomill.curate.settings import CurateConfig
from repomill.engine.settings import EngineConfig
from repomill.errors import UserError
from repomill.llm.factory import LLMConfig
from repomill.recipes.base import config_section
from repomill.recipes.registry import RECIPES
from repomill.train.settings import TrainConfig


class SharedConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    index: IndexConfig = IndexConfig()
    engine: EngineConfig = EngineConfig()
    curate: CurateConfig = CurateConfig()
    llm: LLMConfig = LLMConfig()
    train: TrainConfig = TrainConfig()


def config_model() -> type[SharedConfig]:
    """The config file's model: the shared tables plus one per recipe registered now."""
    tables: dict[str, Any] = {config_section(name): (recipe.settings, recipe.settings())
                              for name, recipe in RECIPES.items()}  # fmt: skip
    return create_model("RepomillConfig", __base__=SharedConfig, **tables)


def load_config(path: Path | None) -> Any:
    model = config_model()
    if path is None:
        return model()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{path}: config file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: malformed TOML ({exc})") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise UserError(f"{path}: {where}: {first['msg']}") from None
