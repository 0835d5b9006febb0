"""Settings of the commit recipe (`[commits]` in the config)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from repomill.recipes.base import RecipeSettings


class CommitsConfig(RecipeSettings):
    """The commit recipe (`repomill build commits`)."""

    max_commits: int | None = Field(None, ge=1, description="newest commits to read")
    since: str | None = Field(None, description="only commits at or after this date")
    until: str | None = Field(None, description="only commits at or before this date")
    first_parent: bool = Field(False, description="walk only the branch's first-parent line")
    per_unit: bool = Field(False, description="one example per changed unit, not per commit")
    target: Literal["whole", "udiff", "search-replace"] = Field(
        "whole", description="whole | udiff | search-replace"
    )
    max_tokens: int = Field(8192, ge=256, description="token budget of one example")
    max_files: int = Field(50, ge=1, description="reject commits changing more files")
    max_lines: int = Field(2000, ge=1, description="reject more changed lines in code files")
    shard_commits: int = Field(64, ge=1, description="average commits per cached shard")
    rewrite_instructions: bool = Field(
        False,
        description="with a model (--llm): write the instruction of a commit whose "
        "message says nothing from its change",
    )
