"""Build a recipe's dataset from a test repository, as `repomill build RECIPE` does."""

from __future__ import annotations

from pathlib import Path

from repomill.code.settings import IndexConfig
from repomill.curate.settings import CurateConfig
from repomill.engine import Manifest
from repomill.llm.factory import LLMConfig
from repomill.recipes.registry import RECIPES
from repomill.recipes.run import run_recipe
from repomill.sources import open_source


def build_recipe(name: str, repo: Path, out: Path, settings=None,
                 index: IndexConfig | None = None, curate: CurateConfig | None = None,
                 llm: LLMConfig | None = None) -> Manifest:  # fmt: skip
    recipe = RECIPES[name]
    settings = recipe.settings() if settings is None else settings
    index = IndexConfig(workers=1) if index is None else index
    curate = CurateConfig() if curate is None else curate
    return run_recipe(recipe, open_source(repo), settings, index, curate, llm, out, False)
