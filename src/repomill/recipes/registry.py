"""The recipes `repomill build` knows, by name. A new recipe is a folder under recipes/
and one line here (or a `register` call at run time)."""

from __future__ import annotations

from repomill.recipes.base import Recipe
from repomill.recipes.commits.recipe import CommitsRecipe
from repomill.recipes.repo_qa.recipe import RepoQARecipe
from repomill.recipes.self_align.recipe import SelfAlignRecipe

RECIPES: dict[str, Recipe] = {}


def register(recipe: Recipe) -> Recipe:
    if recipe.name in RECIPES:
        raise ValueError(f"recipe {recipe.name!r} is registered already")
    RECIPES[recipe.name] = recipe
    return recipe


register(CommitsRecipe())
register(SelfAlignRecipe())
register(RepoQARecipe())
