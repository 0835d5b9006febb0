"""What a recipe is: a name, a settings model, the columns it adds to the shared ones, and
`samples(ctx)`, which yields `Sample`s and `Rejected`s. Everything after that (curation,
splits, the writer, the card, the report, the manifest and the funnel) is `run_recipe`'s
(`recipes/run.py`), the same for every recipe."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, model_validator

from repomill.code.settings import IndexConfig
from repomill.curate.settings import CurateConfig
from repomill.engine import Manifest
from repomill.engine.cache import ShardCache
from repomill.engine.executors import Executor
from repomill.export.records import Rejected, Sample
from repomill.llm.factory import LLMConfig
from repomill.sources.entries import SourceSpec


class RecipeSettings(BaseModel):
    """The settings every recipe has: how its rows are split, written and counted."""

    model_config = ConfigDict(extra="forbid")

    validation: float = Field(0.1, ge=0, le=0.5, description="share of newest-but-test rows")
    test: float = Field(0.1, ge=0, le=0.5, description="share of the newest rows")
    format: Literal["parquet", "jsonl"] = Field("parquet", description="parquet | jsonl")
    tokenizer: str | None = Field(None, description="HF id, tokenizer.json or qwen2.5")
    max_tokens: int = Field(8192, ge=256, description="tokens one row may have (tokenizer's)")

    @model_validator(mode="after")
    def _leaves_train_rows(self):
        if self.validation + self.test >= 1:
            raise ValueError("validation + test must leave some rows for train")
        return self


@dataclass
class RecipeContext:
    """What a recipe's `samples` gets: the source, its settings, the run's one process
    pool and manifest (add stage runs to it), and where to put its counts and funnel."""

    source: SourceSpec
    index: IndexConfig
    settings: Any  # the recipe's own Settings
    curate: CurateConfig
    llm: LLMConfig | None
    out: Path
    show_progress: bool
    executor: Executor
    manifest: Manifest
    shards: ShardCache  # finished shards: OUT/.cache, or `[engine] shard_cache`
    counts: dict[str, Any] = field(default_factory=dict)  # the recipe's own, for the manifest
    funnel: list[list] = field(default_factory=list)  # [label, count] up to its samples
    warnings: list[str] = field(default_factory=list)


class Recipe(Protocol):
    name: ClassVar[str]  # the sub-command and the `recipe` column
    title: ClassVar[str]  # the dataset's title after the repository's name
    settings: ClassVar[type[RecipeSettings]]
    columns: ClassVar[list[tuple[str, pa.DataType]]]  # added to the shared columns
    identifiers: ClassVar[frozenset[str]]  # fields whose strings are ids, not text
    group_noun: ClassVar[str]  # what a sample's `group` is (commits, seeds): counted kept
    needs_llm: ClassVar[bool]  # takes the model options (--llm, --base-url, --model…)
    llm_optional: ClassVar[bool]  # and runs without a model unless one is asked for
    # validation and test rows citing a chunk that a train row cites are left out
    disjoint_evidence: ClassVar[bool]
    no_input: ClassVar[str]  # why nothing was exported when its first step found nothing
    preload: ClassVar[tuple[str, ...]]  # modules the worker processes import up front

    def samples(self, ctx: RecipeContext) -> Iterator[Sample | Rejected]: ...

    def nothing_kept_hint(self, llm: LLMConfig | None) -> str:
        """What to try when later steps kept nothing, given the model used ("": nothing)."""

    def card(self, ctx: RecipeContext) -> dict[str, str]:
        """The dataset card's sections (heading -> markdown), with the counts final."""
        ...


def config_section(recipe_name: str) -> str:
    """The recipe's table in the config file (`self-align` -> `[self_align]`)."""
    return recipe_name.replace("-", "_")
