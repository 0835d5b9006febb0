"""Settings of the self-align recipe (`[self_align]` in the config, `--…` on the CLI)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from repomill.recipes.base import RecipeSettings


class SelfAlignConfig(RecipeSettings):
    limit: int | None = Field(None, ge=1, description="seeds to use at most")
    samples: int = Field(5, ge=1, description="responses per instruction")
    keep: Literal["first", "all-passing"] = Field("first", description="first | all-passing")
    target_language: str | None = Field(None, description="answer in this language")
    grounded: bool = Field(False, description="tasks that use the seeds as the repository's "
                           "API, tests run with the repository importable (Python)")  # fmt: skip
    response_tokens: int = Field(1024, ge=64, description="tokens per generated response")
    sandboxes: int = Field(2, ge=1, description="sandboxed executions at once")
    wall_seconds: float = Field(10.0, gt=0, description="per execution")
    unsafe_no_sandbox: bool = Field(False, description="run generated code without bubblewrap")
