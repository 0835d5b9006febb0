"""Settings of the repo-QA recipe (`[repo_qa]` in the config)."""

from __future__ import annotations

from pydantic import Field

from repomill.recipes.base import RecipeSettings


class RepoQAConfig(RecipeSettings):
    max_depth: int = Field(8, ge=1, le=32, description="depth bound of a flow's calls")
    max_per_kind: int | None = Field(None, ge=1, description="exact questions per kind at most")
