"""The commit recipe, end to end: list commits, mine them in parallel shards (cached),
then walk them oldest first with a code index kept at each commit's parent, build the
examples, and export the dataset."""

from __future__ import annotations

import functools
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from repomill.code.build import build_index
from repomill.code.index_stage import IndexFilesStage
from repomill.code.revision_index import RevisionIndex
from repomill.code.settings import IndexConfig
from repomill.curate.curator import CurateConfig, Curator
from repomill.engine import Executor, Manifest, make_executor
from repomill.engine.cache import ShardCache
from repomill.engine.runner import StageRun, iter_stage
from repomill.engine.sharding import content_defined_shards
from repomill.errors import UserError, warn
from repomill.export.card import bullet_counts, dataset_card
from repomill.export.report import write_report
from repomill.export.schema import sample_schema
from repomill.export.writer import DatasetWriter
from repomill.recipes.commits.examples import ExampleSettings, build_examples, rejection
from repomill.recipes.commits.mine import MineCommitsStage
from repomill.recipes.commits.mined import MinedCommit
from repomill.recipes.commits.settings import CommitsConfig
from repomill.sources.entries import SourceSpec
from repomill.sources.files import source_name
from repomill.sources.git_history import CommitMeta, list_commits, parse_date
from repomill.sources.git_tree import MISSING_OBJECT
from repomill.tokens import CachedCounter, load_tokenizer


def build_commits(
    source: SourceSpec,
    index_config: IndexConfig,
    config: CommitsConfig,
    out: Path,
    show_progress: bool = True,
    curate: CurateConfig | None = None,
) -> Manifest:
    """The whole recipe; `curate` None skips curation (the default config applies it)."""
    if not source.is_git:
        raise UserError(f"{source.root}: not a git repository (the commits recipe reads history)")
    if source.commit is None:
        raise UserError(f"{source.root}: the repository has no commits")
    if config.validation + config.test >= 1:
        raise UserError("validation + test must leave some rows for train")
    counter = CachedCounter(load_tokenizer(config.tokenizer))
    curate = CurateConfig() if curate is None else curate
    curator = Curator(curate) if curate.enabled else None
    manifest = Manifest("build commits", {"index": index_config.model_dump(),
                        "commits": config.model_dump(), "curate": curate.model_dump()},
                        source.describe())  # fmt: skip
    listing = StageRun("list_commits", 1)
    started = time.perf_counter()
    metas, missing = list_commits(source.root, source.commit, config.max_commits,
                                  parse_date(config.since, "--since"),
                                  parse_date(config.until, "--until"),
                                  config.first_parent)  # fmt: skip
    metas = chain_order(metas)
    listing.items_in = listing.records_out = len(metas)
    if missing:
        listing.skipped[MISSING_OBJECT] = len(missing)
        warn(f"{source.root}: history is incomplete, {len(missing)} commit(s) missing "
             f"(first {missing[0]}); their children are rejected as {MISSING_OBJECT}")  # fmt: skip
    listing.seconds = time.perf_counter() - started
    manifest.add(listing)

    stage = MineCommitsStage(source.root, config.max_files, config.max_lines,
                             index_config.max_file_bytes, index_config.max_chunk_bytes)  # fmt: skip
    items = [m.to_json() for m in metas]
    shards = content_defined_shards(items, lambda item: item["sha"],
                                    average=config.shard_commits,
                                    maximum=4 * config.shard_commits)  # fmt: skip
    settings = ExampleSettings(source_name(source), config.target, config.max_tokens,
                               config.per_unit)  # fmt: skip
    writer = DatasetWriter(out, sample_schema("commits"), config.format, curator)
    mining = StageRun(stage.name, stage.version)
    examples_run = StageRun("examples", 1)
    # One pool for the run: the walk's index build (mid-run) uses it too.
    preload = (MineCommitsStage.__module__, IndexFilesStage.__module__)
    executor = make_executor(index_config.workers, preload)
    walk = _HistoryWalk(source, index_config, out, show_progress, executor)
    unsafe_paths = 0  # tree paths left out of commits that were mined (is_safe_path)
    try:
        for result in iter_stage(stage, shards, executor, ShardCache(out / ".cache"), mining,
                                 show_progress):  # fmt: skip
            for mined in map(MinedCommit.from_json, result.records):
                unsafe_paths += len(mined.unsafe_paths)
                if not mined.ok:
                    writer.reject(rejection(mined, mined.status, stage.name))
                    continue
                tick = time.perf_counter()
                examples_run.items_in += 1
                at_parent = functools.partial(walk.at, mined.parent)
                examples, rejected = build_examples(mined, at_parent, counter, settings)
                for sample in examples:
                    writer.add(sample, mined.time)
                for row in rejected:
                    writer.reject(row)
                examples_run.records_out += len(examples)
                examples_run.skipped.update(r["reason"] for r in rejected)
                walk.passed(mined)
                examples_run.seconds += time.perf_counter() - tick
    finally:
        executor.close()
    manifest.add(mining)
    manifest.add(examples_run)
    if walk.index_run is not None:
        manifest.add(walk.index_run)
    splits = writer.finish(config.validation, config.test)
    reasons = Counter(r["reason"] for r in writer.rejected)
    manifest.counts = {
        "commits_listed": len(metas),
        "commits_kept": len(writer.exported_commits),
        "examples": sum(splits.values()),
        "splits": splits,
        "rejected": dict(sorted(reasons.items())),
        "index_file_changes_applied": walk.index.moves if walk.index else 0,
        "index_tree_diffs": walk.index.tree_diffs if walk.index else 0,
        "index_missing_objects": walk.index.missing_objects if walk.index else 0,
        "unsafe_paths_skipped": unsafe_paths,
    }
    if curator is not None:
        manifest.counts["curation"] = {**curator.summary(), "deduplicated": writer.deduplicated}
    manifest.counts["funnel"] = _funnel(manifest.counts, mining, examples_run, curator, writer)
    (out / "README.md").write_text(_card(settings, config, manifest, splits), encoding="utf-8")
    manifest.write(out)
    write_report(out, f"{settings.repo}: commit edits")
    return manifest


def _funnel(counts, mining: StageRun, examples: StageRun, curator, writer) -> list[list]:
    """[label, count] through each step, for the manifest and the report."""
    steps = [
        ["commits listed", counts["commits_listed"]],
        ["passed the commit filters", mining.records_out - sum(mining.skipped.values())],
        ["examples built", examples.records_out],
    ]
    if curator is not None:
        kept = examples.records_out - sum(curator.rejected.values())
        steps.append(["after secrets, quality, decontamination", kept])
        steps.append(["after deduplication", kept - sum(writer.deduplicated.values())])
    steps.append(["exported", counts["examples"]])
    return steps


def chain_order(metas: list[CommitMeta]) -> list[CommitMeta]:
    """Commits depth first from the oldest, each right after its parent where it can be,
    so the revision index mostly steps forward by one commit's own changes; time order
    would hop between branches, a tree diff at every hop. Among a commit's children the
    branch commits go before merges: a mainline of merges is a long path, and walking it
    before the branches that fork from its start would mean jumping far back afterwards."""
    listed = {m.sha for m in metas}
    children: dict[str, list[CommitMeta]] = defaultdict(list)
    roots: list[CommitMeta] = []
    for meta in sorted(metas, key=lambda m: (len(m.parents) > 1, m.time, m.sha)):
        parent = next((p for p in meta.parents if p in listed), None)
        (children[parent] if parent else roots).append(meta)
    ordered: list[CommitMeta] = []
    stack = list(reversed(roots))
    while stack:
        meta = stack.pop()
        ordered.append(meta)
        stack.extend(reversed(children.get(meta.sha, ())))
    return ordered


class _HistoryWalk:
    """The revision index, created at the first commit that needs it and then moved from
    parent to parent: by the commit's own file list when the next commit is its child,
    by a tree diff otherwise."""

    def __init__(self, source: SourceSpec, index_config: IndexConfig, out: Path, progress: bool,
                 executor: Executor):  # fmt: skip
        self.source = source
        self.index_config = index_config
        self.out = out
        self.progress = progress
        self.executor = executor  # the run's pool, for the index built at the first parent
        self.index: RevisionIndex | None = None
        self.index_run: StageRun | None = None

    def at(self, parent: str | None) -> RevisionIndex:
        if self.index is None:
            self.index = RevisionIndex(self.source.root, self.index_config.max_file_bytes,
                                       self.index_config.max_chunk_bytes)  # fmt: skip
            if parent is not None:
                spec = SourceSpec(self.source.root, True, parent)
                built = build_index(spec, self.index_config, self.out, "build",
                                    self.progress, self.executor)  # fmt: skip
                self.index_run = built.manifest.stages["index_files"]
                self.index.load(parent, built.file_records,
                                built.index.resolver.layout.project_files)  # fmt: skip
        self.index.move_to(parent)
        return self.index

    def passed(self, mined: MinedCommit) -> None:
        """The example of `mined` is built: step the index onto its commit, or keep what
        its mining learnt of its blobs for when the walk reaches them another way."""
        if self.index is None:
            return
        if self.index.commit == mined.parent:
            self.index.advance(mined.sha, mined.files, mined.hints)
        else:
            self.index.remember(mined.hints)


def _card(settings: ExampleSettings, config: CommitsConfig, manifest: Manifest,
          splits: dict[str, int]) -> str:  # fmt: skip
    counts = manifest.counts
    how = (
        f"Made by `repomill build --recipe commits` from `{settings.repo}` at commit "
        f"`{manifest.source['commit']}`. Each example is one "
        f"{'changed unit' if config.per_unit else 'commit'}: the cleaned commit message as "
        "the instruction; the definitions the changed code uses from other files at the "
        "parent revision, plus the old code of the changed units, as input; the new code "
        f"as the target (`{config.target}`). Token counts use the `{config.tokenizer or 'qwen2.5'}`"
        f" tokenizer; every example fits {config.max_tokens} tokens. Splits are by commit "
        "time: the oldest commits are in train, the newest in test, and no commit is split."
    )
    listing = (
        f"- commits listed: {counts['commits_listed']}\n"
        f"- commits kept: {counts['commits_kept']}\n"
        f"- examples: {counts['examples']}\n"
    )
    return dataset_card(
        f"{settings.repo}: commit edits",
        sample_schema("commits"),
        splits,
        config.format,
        {
            "How it was made": how,
            "Counts": listing,
            "Rejected (reason: commits or examples)": bullet_counts(counts["rejected"]),
            "Curation": _curation_text(counts.get("curation")),
            "Columns": COLUMNS_DOC,
        },
    )


def _curation_text(curation: dict[str, Any] | None) -> str:
    if curation is None:
        return "Not curated (`--no-curate`)."
    return (
        "Secrets and e-mail addresses redacted with typed placeholders in "
        f"{curation['redacted_samples']} samples ({bullet_counts(curation['redactions'])}); "
        "samples failing the quality predicates or overlapping a benchmark removed "
        f"(contaminated: {bullet_counts(curation['contaminated_by'])}); exact and near "
        "duplicates removed, keeping the oldest copy in the earliest split "
        f"({bullet_counts(curation['deduplicated'])})."
    ).replace("\n", "; ")


COLUMNS_DOC = """
- `id`, `recipe` (`commits`), `task` (`commit-edit`), `repo`, `commit`, `language` (the
  language with the most changed code), `meta` (JSON: commit time, target, languages,
  units whose old code was left out for length, files skipped)
- `messages`: system / user / assistant
- `evidence`: `{chunk_id, path, start_line, end_line}` of the old units and context items
- `parent_commit`; `units`: `{path, symbol, kind, old_code, new_code, old_start_line,
  new_start_line}`; `context`: `{path, symbol, kind, start_line, end_line, text}`;
  `num_tokens`
"""
