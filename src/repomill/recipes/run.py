"""`run_recipe`: one recipe, start to finish. The recipe yields samples and rejections;
everything after is here, the same for every recipe: the rows' columns checked against
the schema, curation steps, the writer, splits, deduplication, the rejected output, the
dataset card, the manifest with its counts and funnel, and the report."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from repomill.code.settings import IndexConfig
from repomill.curate.secrets import SHARED_IDENTIFIERS, redact
from repomill.curate.settings import CurateConfig
from repomill.curate.steps import Deduplicator, curation_steps
from repomill.engine import Manifest, make_executor
from repomill.engine.cache import ShardCache
from repomill.engine.executors import Executor
from repomill.engine.runner import StageRun
from repomill.engine.settings import EngineConfig
from repomill.engine.steps import Dropped, Row, Step, StepChain
from repomill.export.budget import TokenBudget
from repomill.export.card import bullet_counts, dataset_card
from repomill.export.read import DATASET_DIR
from repomill.export.records import Rejected, Sample, check_columns
from repomill.export.report import write_report
from repomill.export.schema import SPLITS, sample_schema
from repomill.export.trainers import split_bytes, usage, write_dataset_info
from repomill.export.writer import NOWHERE, DatasetWriter, write_rejected
from repomill.llm.factory import LLMConfig
from repomill.recipes.base import Recipe, RecipeContext, config_section
from repomill.sources.entries import SourceSpec
from repomill.sources.files import source_name
from repomill.tokens import cached_counter


def run_recipe(recipe: Recipe, source: SourceSpec, settings: Any, index: IndexConfig,
               curate: CurateConfig, llm: LLMConfig | None, out: Path, show_progress: bool = True,
               engine: EngineConfig | None = None, executor: Executor | None = None
               ) -> Manifest:  # fmt: skip
    """Build `recipe`'s dataset from `source` into `out`; returns the manifest written.
    `engine`: where the stages run (None: local processes). `executor`: a pool made for
    that engine, used and left open (builds of many repositories share one); None: one
    made for this build and closed at its end."""
    engine = EngineConfig() if engine is None else engine
    config = {"index": index.model_dump(), "engine": engine.model_dump(),
              config_section(recipe.name): settings.model_dump(),
              "curate": curate.model_dump()}  # fmt: skip
    if llm is not None:
        config["llm"] = llm.model_dump()
    manifest = Manifest(f"build {recipe.name}", config, source.describe())
    schema = sample_schema(recipe.columns)
    owns_executor = executor is None
    if executor is None:
        executor = make_executor(index.workers, recipe.preload, engine)
    shards = ShardCache(engine.shard_cache or out / ".cache")
    ctx = RecipeContext(source, index, settings, curate, llm, out, show_progress, executor,
                        manifest, shards)  # fmt: skip
    finish = _Finish(recipe, ctx, schema)
    try:
        finish.consume(recipe.samples(ctx))
    finally:
        if owns_executor:
            executor.close()
    finish.write()
    return manifest


class _Finish:
    """Rows from the recipe through curation into the writer, then the outputs."""

    def __init__(self, recipe: Recipe, ctx: RecipeContext, schema):
        self.recipe, self.ctx, self.schema = recipe, ctx, schema
        self.identifiers = SHARED_IDENTIFIERS | recipe.identifiers
        self.curated = ctx.curate.enabled
        self.budget = StepChain([TokenBudget(ctx.settings.max_tokens)], self._dropped)
        self.chain = StepChain(curation_steps(ctx.curate, self.identifiers), self._dropped)
        dedup = self.curated and ctx.curate.dedup
        self.dedup = Deduplicator(ctx.curate.near_threshold) if dedup else None
        self.writer = DatasetWriter(ctx.out, schema, ctx.settings.format)
        self.dataset = ctx.out / DATASET_DIR  # what a user uploads: card, data/, dataset_info
        self.counter = cached_counter(ctx.settings.tokenizer)
        self.rejected: list[Row] = []
        self.built = 0
        self.longest = self.longest_prompt = 0  # tokens of the longest row, and prompt
        # the evidence chunks of each written row, where the recipe keeps splits apart by them
        self.evidence: list[frozenset[str]] | None = [] if recipe.disjoint_evidence else None

    def reject(self, row: Row) -> None:
        # a rejected row is output too: a commit message can hold a secret
        self.rejected.append(redact(row, Counter(), self.identifiers) if self.curated else row)

    def _dropped(self, row: Row, step: Step, dropped: Dropped) -> None:
        self.reject(Rejected.of_row(row, dropped.reason, step.name, dropped.detail).row())

    def consume(self, items: Iterator[Sample | Rejected]) -> None:
        for item in items:
            if isinstance(item, Rejected):
                self.reject(item.row())
                continue
            self.built += 1
            row = self.budget.run(check_columns(item.row(self.counter), self.schema))
            row = self.chain.run(row) if row is not None else None
            if row is None:
                continue
            if self.dedup is not None:
                self.dedup.add(row)
            if self.evidence is not None:
                self.evidence.append(frozenset(e["chunk_id"] for e in row["evidence"]))
            self.longest = max(self.longest, row["prompt_tokens"] + row["completion_tokens"])
            self.longest_prompt = max(self.longest_prompt, row["prompt_tokens"])
            self.writer.add(row, item.time, item.group)

    def _routes(self) -> tuple[list[str], StageRun | None]:
        settings = self.ctx.settings
        routes = self.writer.cut(settings.validation, settings.test)
        if self.dedup is None:
            return routes, None
        run = StageRun(self.dedup.name, 1, items_in=len(routes))
        with run.timed():
            orders = [(*key, ids[0]) for key, ids in zip(self.writer.keys, self.writer.ids,
                                                         strict=True)]  # fmt: skip
            ranks = [SPLITS.index(split) for split in routes]
            for position, reason in sorted(self.dedup.drop(ranks, orders).items()):
                routes[position] = NOWHERE
                run.skipped[reason] += 1
                sample_id, recipe = self.writer.ids[position]
                self.reject(Rejected(sample_id, recipe, self.writer.keys[position][1], reason,
                                     self.dedup.name).row())  # fmt: skip
        run.records_out = len(routes) - sum(run.skipped.values())
        return routes, run

    def _disjoint(self, routes: list[str]) -> StageRun | None:
        """Leave out each validation or test row that cites evidence a train row cites
        too (`evidence_in_train`): a model trained on the one has seen the other's answer."""
        if self.evidence is None:
            return None
        run = StageRun(EVIDENCE_SPLIT, 1)
        with run.timed():
            train = frozenset().union(*(chunks for chunks, route in zip(self.evidence, routes,
                                        strict=True) if route == SPLITS[0]))  # fmt: skip
            for position, chunks in enumerate(self.evidence):
                if routes[position] in (NOWHERE, SPLITS[0]):
                    continue
                run.items_in += 1
                if chunks & train:
                    routes[position] = NOWHERE
                    run.skipped["evidence_in_train"] += 1
                    sample_id, recipe = self.writer.ids[position]
                    self.reject(Rejected(sample_id, recipe, "", "evidence_in_train",
                                         EVIDENCE_SPLIT).row())  # fmt: skip
        run.records_out = run.items_in - sum(run.skipped.values())
        return run

    def write(self) -> None:
        routes, dedup_run = self._routes()
        disjoint_run = self._disjoint(routes)
        exported = {key[1] for key, route in zip(self.writer.keys, routes, strict=True)
                    if route != NOWHERE}  # fmt: skip
        splits = self.writer.write(routes)
        write_rejected(self.ctx.out, self.rejected, self.ctx.settings.format)
        self.dataset.mkdir(exist_ok=True)
        write_dataset_info(self.dataset, self.recipe.name.replace("-", "_"))
        curation = self.chain.runs + ([dedup_run] if dedup_run else [])
        for run in [*self.budget.runs, *curation, *([disjoint_run] if disjoint_run else [])]:
            self.ctx.manifest.add(run)
        self._count(splits, len(exported), curation, disjoint_run)
        self._card(splits)
        self.ctx.manifest.warnings.extend(self.ctx.warnings)
        self.ctx.manifest.write(self.ctx.out)
        write_report(self.ctx.out, self._title())

    def _count(self, splits: dict[str, int], groups: int, curation: list[StageRun],
               disjoint: StageRun | None) -> None:  # fmt: skip
        ctx, recipe = self.ctx, self.recipe
        reasons = Counter(row["reason"] for row in self.rejected)
        counts = {**ctx.counts, f"{recipe.group_noun}_kept": groups,
                  "examples": sum(splits.values()), "splits": splits,
                  "rejected": dict(sorted(reasons.items()))}  # fmt: skip
        (budget,), (run,) = self.budget.steps, self.budget.runs
        funnel = [*ctx.funnel, ["samples built", self.built], [budget.label, run.records_out]]
        if self.curated:
            counts["curation"] = _curation_summary(self.chain, curation)
            funnel += [[step.label, run.records_out] for step, run in
                       zip([*self.chain.steps, self.dedup], curation, strict=False)]  # fmt: skip
        counts["longest_row_tokens"] = self.longest  # prompt + completion, `tokenizer`
        counts["longest_prompt_tokens"] = self.longest_prompt
        counts["tokenizer"] = self.counter.name
        if disjoint is not None:
            counts["evidence_in_train"] = disjoint.skipped["evidence_in_train"]
            funnel.append(["evaluation rows citing no train evidence", disjoint.records_out])
        counts["funnel"] = [*funnel, ["exported", counts["examples"]]]
        ctx.manifest.counts = counts

    def _title(self) -> str:
        return f"{source_name(self.ctx.source)}: {self.recipe.title}"

    def _card(self, splits: dict[str, int]) -> None:
        settings = self.ctx.settings
        sections = {
            **self.recipe.card(self.ctx),
            "Curation": _curation_text(self.ctx.manifest.counts.get("curation")),
            "Use": usage(
                settings.format,
                self.counter.name,
                settings.max_tokens,
                self.longest,
                self.longest_prompt,
            ),
        }
        card = dataset_card(self._title(), self.schema, splits, settings.format, sections,
                            split_bytes(self.dataset))  # fmt: skip
        (self.dataset / "README.md").write_text(card, encoding="utf-8")


EVIDENCE_SPLIT = "split.evidence"


def _curation_summary(chain: StepChain, runs: list[StageRun]) -> dict[str, Any]:
    summary: dict[str, Any] = {"samples_in": runs[0].items_in if runs else 0}
    for step in chain.steps:
        summary.update(step.summary())
    dropped = Counter()
    for run in chain.runs:
        dropped.update(run.skipped)
    summary["rejected"] = dict(sorted(dropped.items()))
    contaminated = {reason.split(":", 1)[1]: n for reason, n in dropped.items()
                    if reason.startswith("contaminated:")}  # fmt: skip
    summary["contaminated_by"] = dict(sorted(contaminated.items()))
    dedup = next((run for run in runs if run.name == Deduplicator.name), None)
    summary["deduplicated"] = dict(sorted(dedup.skipped.items())) if dedup else {}
    return summary


def _curation_text(curation: dict[str, Any] | None) -> str:
    if curation is None:
        return "Not curated (`--no-curate`)."
    return (
        "Secrets and e-mail addresses redacted with typed placeholders in "
        f"{curation.get('redacted_samples', 0)} samples "
        f"({bullet_counts(curation.get('redactions', {}))}); samples failing the quality "
        "predicates or overlapping a benchmark removed (contaminated: "
        f"{bullet_counts(curation['contaminated_by'])}); exact and near duplicates removed, "
        "keeping the oldest copy in the earliest split "
        f"({bullet_counts(curation['deduplicated'])})."
    ).replace("\n", "; ")
