"""The commit recipe: list commits, mine them in parallel shards (cached), then walk them
oldest first with a code index kept at each commit's parent and yield each commit's
examples, or why it has none."""

from __future__ import annotations

import functools
from collections.abc import Iterator

import pyarrow as pa

from repomill.code.index_stage import IndexFilesStage
from repomill.engine.runner import StageRun, iter_stage
from repomill.engine.sharding import content_defined_shards
from repomill.errors import UserError, warn
from repomill.export.card import bullet_counts
from repomill.export.records import Rejected, Sample
from repomill.llm.factory import LLMConfig
from repomill.recipes.base import RecipeContext
from repomill.recipes.commits.context_cache import ContextCache
from repomill.recipes.commits.examples import ExampleSettings, build_examples, rejection
from repomill.recipes.commits.instructions import InstructionWriter
from repomill.recipes.commits.mine import MineCommitsStage
from repomill.recipes.commits.mined import MinedCommit
from repomill.recipes.commits.settings import CommitsConfig
from repomill.recipes.commits.walk import HistoryWalk, chain_order
from repomill.sources.files import source_name
from repomill.sources.git_history import CommitMeta, list_commits, parse_date
from repomill.sources.git_tree import MISSING_OBJECT
from repomill.tokens import cached_counter

UNIT = pa.struct(
    [("path", pa.string()), ("old_path", pa.string()), ("symbol", pa.string()),
     ("kind", pa.string()), ("old_code", pa.string()), ("new_code", pa.string()),
     ("old_start_line", pa.int32()), ("new_start_line", pa.int32())]
)  # fmt: skip
CONTEXT_ITEM = pa.struct(
    [("path", pa.string()), ("symbol", pa.string()), ("kind", pa.string()),
     ("start_line", pa.int32()), ("end_line", pa.int32()), ("text", pa.string())]
)  # fmt: skip


class CommitsRecipe:
    """Edit examples from the history: each useful commit's message, the cross-file context
    and old code of what it changed, and the new code as the answer."""

    name = "commits"
    title = "commit edits"
    settings = CommitsConfig
    columns = [("parent_commit", pa.string()), ("units", pa.list_(UNIT)),
               ("context", pa.list_(CONTEXT_ITEM)), ("num_tokens", pa.int32())]  # fmt: skip
    identifiers = frozenset({"parent_commit", "kind", "sha", "parent"})
    group_noun = "commits"
    needs_llm = True  # for --rewrite-instructions only
    llm_optional = True
    disjoint_evidence = False
    no_input = "no commits in the range"
    preload = (MineCommitsStage.__module__, IndexFilesStage.__module__)

    def samples(self, ctx: RecipeContext) -> Iterator[Sample | Rejected]:
        source, config = ctx.source, ctx.settings
        if not source.is_git:
            raise UserError(f"{source.root}: not a git repository (the commits recipe reads "
                            "history)")  # fmt: skip
        if source.commit is None:
            raise UserError(f"{source.root}: the repository has no commits")
        if config.rewrite_instructions and ctx.llm is None:
            raise UserError("--rewrite-instructions needs a model: --llm openai --base-url URL "
                            "--model NAME, or --llm embedded")  # fmt: skip
        metas = _listed(ctx)
        stage = MineCommitsStage(source, config.max_files, config.max_lines,
                                 ctx.index.max_file_bytes, ctx.index.max_chunk_bytes,
                                 config.rewrite_instructions)  # fmt: skip
        shards = content_defined_shards([m.to_json() for m in metas], lambda item: item["sha"],
                                        average=config.shard_commits,
                                        maximum=4 * config.shard_commits)  # fmt: skip
        mining = StageRun(stage.name, stage.version)
        examples = StageRun("examples", 1)
        # the walk's index, built mid-run, uses the run's one pool too
        walk = HistoryWalk(source, ctx.index, ctx.shards, ctx.show_progress, ctx.executor)
        ctx.manifest.add(mining)
        ctx.manifest.add(examples)
        yield from _examples(ctx, stage, shards, walk, mining, examples)
        if walk.index_run is not None:
            ctx.manifest.add(walk.index_run)
        passed = mining.records_out - sum(mining.skipped.values())
        ctx.funnel.append(
            ["passed the commit filters", passed]
        )  # then run_recipe's "samples built"
        ctx.counts.update({
            "index_file_changes_applied": walk.index.moves,
            "index_tree_diffs": walk.index.tree_diffs,
            "index_missing_objects": walk.index.missing_objects,
        })  # fmt: skip

    def nothing_kept_hint(self, llm: LLMConfig | None) -> str:
        return ""

    def card(self, ctx: RecipeContext) -> dict[str, str]:
        counts, config = ctx.manifest.counts, ctx.settings
        listing = (f"- commits listed: {counts['commits_listed']}\n"
                   f"- commits kept: {counts['commits_kept']}\n"
                   f"- examples: {counts['examples']}\n")  # fmt: skip
        return {"How it was made": _how(ctx, config), "Counts": listing,
                "Rejected (reason: commits or examples)": bullet_counts(counts["rejected"]),
                "Columns": COLUMNS_DOC}  # fmt: skip


def _listed(ctx: RecipeContext) -> list[CommitMeta]:
    """The commits of the range, in walk order; a commit whose object is missing is
    counted and warned about (its children are rejected as missing_object)."""
    config, root = ctx.settings, ctx.source.root
    listing = StageRun("list_commits", 1)
    with listing.timed():
        metas, missing = list_commits(root, ctx.source.commit, config.max_commits,
                                      parse_date(config.since, "--since"),
                                      parse_date(config.until, "--until"),
                                      config.first_parent)  # fmt: skip
        metas = chain_order(metas)
    listing.items_in = listing.records_out = len(metas)
    if missing:
        listing.skipped[MISSING_OBJECT] = len(missing)
        warn(f"{root}: history is incomplete, {len(missing)} commit(s) missing (first "
             f"{missing[0]}); their children are rejected as {MISSING_OBJECT}")  # fmt: skip
    ctx.manifest.add(listing)
    ctx.counts["commits_listed"] = len(metas)
    ctx.funnel.append(["commits listed", len(metas)])
    return metas


def _examples(ctx, stage, shards, walk, mining, examples) -> Iterator[Sample | Rejected]:
    """Mined commits in walk order, each turned into its examples at its parent."""
    config = ctx.settings
    counter = cached_counter(config.tokenizer)
    settings = ExampleSettings(source_name(ctx.source), config.target, config.max_tokens,
                               config.per_unit)  # fmt: skip
    unsafe_paths = 0  # tree paths left out of commits that were mined (is_safe_path)
    writer = InstructionWriter(ctx, settings.repo)
    contexts = ContextCache(ctx.out / ".cache" / "context.sqlite", stage)
    try:
        for result in iter_stage(stage, shards, ctx.executor, ctx.shards,
                                 mining, ctx.show_progress):  # fmt: skip
            batch = list(map(MinedCommit.from_json, result.records))
            writer.write(batch)
            walk.learn(batch)
            for mined in batch:
                unsafe_paths += len(mined.unsafe_paths)
                if not mined.ok:
                    yield rejection(mined, mined.status, stage.name, detail=writer.why(mined))
                    continue
                with examples.timed():
                    examples.items_in += 1
                    at_parent = functools.partial(walk.at, mined.parent)
                    context_of = functools.partial(contexts.of, mined, index_at_parent=at_parent)
                    built, rejected = build_examples(mined, context_of, counter, settings)
                    examples.records_out += len(built)
                    examples.skipped.update(r.reason for r in rejected)
                    walk.passed(mined)
                for sample in built:
                    sample.meta.update(writer.meta(mined))
                yield from built
                yield from rejected
    finally:
        writer.close()
        contexts.close()
    ctx.counts["unsafe_paths_skipped"] = unsafe_paths
    ctx.counts["contexts"] = {"cached": contexts.hits, "computed": contexts.computed}
    if writer.asked:
        ctx.counts["instructions_written"] = {"asked": writer.asked, "written": writer.written}


def _how(ctx: RecipeContext, config: CommitsConfig) -> str:
    return (
        f"Made by `repomill build commits` from `{source_name(ctx.source)}` at commit "
        f"`{ctx.manifest.source['commit']}`. Each example is one "
        f"{'changed unit' if config.per_unit else 'commit'}: the cleaned commit message as "
        "the instruction; the definitions the changed code uses from other files at the "
        "parent revision, plus the old code of the changed units, as input; the new code "
        f"as the target (`{config.target}`). Token counts use the `{config.tokenizer or 'qwen2.5'}`"
        f" tokenizer; every example fits {config.max_tokens} tokens. Splits are by commit "
        "time: the oldest commits are in train, the newest in test, and no commit is split."
    )


COLUMNS_DOC = """
- `id`, `recipe` (`commits`), `task` (`commit-edit`), `repo`, `commit`, `language` (the
  language with the most changed code), `meta` (JSON: commit time, target, languages,
  units whose old code was left out for length, files skipped)
- `messages`: system / user / assistant
- `evidence`: `{chunk_id, path, start_line, end_line}` of the old units and context items
- `parent_commit`; `units`: `{path, old_path, symbol, kind, old_code, new_code,
  old_start_line, new_start_line}` (`old_path`: where `old_code` comes from at the parent,
  another path when the file was renamed or moved, "" when the unit is new); `context`:
  `{path, symbol, kind, start_line, end_line, text}`; `num_tokens`
"""
