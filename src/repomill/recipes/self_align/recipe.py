"""The self-align recipe: index the repository, mine seeds, generate, run every response's
tests in the sandbox (in parallel), and yield the passing ones as samples, every other
response as a rejection with its reason."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pyarrow as pa

from repomill.code.build import build_index
from repomill.code.index_stage import IndexFilesStage
from repomill.curate.decontam import humaneval
from repomill.engine.keys import stable_hash
from repomill.engine.runner import StageRun
from repomill.errors import UserError
from repomill.export.card import bullet_counts
from repomill.export.records import Rejected, Sample
from repomill.llm.factory import LLMConfig, make_llm
from repomill.recipes.base import RecipeContext
from repomill.recipes.self_align.generate import Task, api_reason, generate, parse_response
from repomill.recipes.self_align.grounded import Api, grounded_seeds
from repomill.recipes.self_align.seeds import Seed, mine_seeds
from repomill.recipes.self_align.settings import SelfAlignConfig
from repomill.recipes.self_align.static_check import static_check
from repomill.sources.files import source_name
from repomill.tokens import count_chat, load_tokenizer
from repomill.verify import sandbox
from repomill.verify.cached import Job, VerifyStats, verify_all
from repomill.verify.runners import RUNNERS
from repomill.verify.sandbox import Limits
from repomill.verify.verdict import Verdict
from repomill.weights import larger_preset


class SelfAlignRecipe:
    """Instruction data verified in a sandbox: the repository's documented functions seed
    tasks, a model answers with code and tests, only answers whose tests pass are kept."""

    name = "self-align"
    title = "self-align"
    settings = SelfAlignConfig
    columns = [("num_tokens", pa.int32())]
    identifiers = frozenset({"seed", "seed_id", "content_hash", "kind"})
    group_noun = "seeds"
    needs_llm = True
    llm_optional = False
    disjoint_evidence = False
    no_input = "no seed candidates in the repository"
    preload = (IndexFilesStage.__module__,)

    def nothing_kept_hint(self, llm: LLMConfig | None) -> str:
        server = "a model server (--llm openai --base-url URL --model NAME)"
        if llm is not None and llm.backend == "openai":
            return f"try a larger model than {llm.model} on the server"
        larger = larger_preset(llm.model if llm is not None else None)
        if larger is None:
            return f"try {server}"
        return f"try a larger model (--model {larger.name}) or {server}"

    def samples(self, ctx: RecipeContext) -> Iterator[Sample | Rejected]:
        config: SelfAlignConfig = ctx.settings
        if config.target_language and config.target_language not in RUNNERS:
            raise UserError(f"--target-language {config.target_language}: not one of "
                            f"{', '.join(sorted(RUNNERS))}")  # fmt: skip
        if config.grounded and config.target_language not in (None, "python"):
            raise UserError("--grounded tasks are Python: leave out --target-language "
                            f"{config.target_language}")  # fmt: skip
        sandbox.require_sandbox(config.unsafe_no_sandbox)
        seeds, apis = _seeds(ctx)
        tasks = _generate(ctx, seeds, apis)
        verify = StageRun("verify", 1)
        with verify.timed():
            responses = _verify(ctx, tasks, verify)
        verify.items_in = len(responses)
        verify.records_out = sum(1 for r in responses.values() if r.verdict.passed)
        verify.skipped.update(r.verdict.reason for r in responses.values() if not r.verdict.passed)
        ctx.manifest.add(verify)
        made, passing = sum(len(t.responses) for t in tasks), verify.records_out
        ctx.counts.update({"responses": made, "responses_passing": passing,
                           "pass_rate": round(passing / made, 3) if made else 0.0})  # fmt: skip
        ctx.funnel += [["responses", made], ["responses passing their tests", passing]]
        yield from _select(ctx, tasks, responses)

    def card(self, ctx: RecipeContext) -> dict[str, str]:
        numbers = {k: v for k, v in ctx.manifest.counts.items() if isinstance(v, int | float)}
        return {"How it was made": HOW, "Counts": bullet_counts(numbers),
                "Rejected": bullet_counts(ctx.manifest.counts["rejected"])}  # fmt: skip


HOW = ("Made by `repomill build self-align` (SelfCodeAlign style): documented, "
       "self-contained functions of the repository are seeds; a model lists their concepts, "
       "writes a task from them, then several responses with tests; each response's tests run "
       "in a bubblewrap sandbox and only passing responses are kept. `meta` holds the seed, "
       "the concepts and the instruction's pass count (a difficulty signal).")  # fmt: skip


def _seeds(ctx: RecipeContext) -> tuple[list[Seed], dict[str, Api]]:
    """The seeds, and with --grounded the API each one is (by seed id)."""
    built = build_index(
        ctx.source, ctx.index, None, "build", ctx.show_progress, ctx.executor, ctx.shards
    )
    ctx.manifest.add(built.manifest.stages["index_files"])
    seeding = StageRun("seeds", 1)
    config: SelfAlignConfig = ctx.settings
    apis: dict[str, Api] = {}
    with seeding.timed():
        against = [humaneval()] if ctx.curate.humaneval else []
        candidates, dropped = mine_seeds(built.index, against, ctx.curate.near_threshold)
        if config.grounded:  # before the limit: it counts seeds a task can be built on
            candidates, apis = grounded_seeds(candidates, ctx.source,
                                              config.unsafe_no_sandbox, dropped)  # fmt: skip
        seeds = _checked_seeds(candidates, dropped, ctx.settings)
    # every definition examined: the seeds plus each one dropped, for any reason
    seeding.items_in = len(seeds) + sum(dropped.values())
    seeding.records_out, seeding.skipped = len(seeds), dropped
    ctx.manifest.add(seeding)
    ctx.counts.update({"seeds": len(seeds), "seeds_dropped": dict(sorted(dropped.items()))})
    ctx.funnel += [["seed candidates", seeding.items_in], ["seeds", len(seeds)]]
    if config.grounded:
        ctx.counts["grounded"] = True
    return seeds, apis


def _checked_seeds(candidates: list, dropped: Counter[str], config: SelfAlignConfig) -> list:
    """Seeds passing the static check, taken in order until `limit` of them pass (a check
    runs a compiler, so seeds past the limit are not checked at all)."""
    seeds = []
    for position, seed in enumerate(candidates):
        if config.limit is not None and len(seeds) >= config.limit:
            dropped["over_limit"] += len(candidates) - position
            break
        reason = static_check(seed, config.unsafe_no_sandbox)
        if reason is None:
            seeds.append(seed)
        else:
            dropped[reason] += 1
    return seeds


def _generate(ctx: RecipeContext, seeds: list[Seed], apis: dict[str, Api]) -> list[Task]:
    config: SelfAlignConfig = ctx.settings
    llm = make_llm(ctx.llm, ctx.out / ".cache" / "llm.sqlite")
    llm.show_progress = ctx.show_progress
    run = StageRun("generate", 1, items_in=len(seeds))
    try:  # raises when every model call failed
        with run.timed():
            tasks = generate(llm, seeds, config.samples, config.target_language,
                             config.response_tokens, apis)  # fmt: skip
    finally:
        llm.close()
    run.records_out = sum(len(t.responses) for t in tasks)
    run.skipped.update(t.rejected for t in tasks if t.rejected)
    ctx.manifest.add(run)
    if failed := llm.failure_summary():  # some calls failed: the run goes on, and says so
        ctx.warnings.append(failed)
    instructions = sum(1 for t in tasks if t.responses)
    ctx.counts.update({"model_calls": llm.stats.samples, "model_calls_failed": llm.stats.failures,
                       "instructions": instructions})  # fmt: skip
    ctx.funnel.append(["instructions", instructions])
    return tasks


@dataclass(frozen=True)
class Response:
    code: str
    tests: str
    verdict: Verdict


def _verify(
    ctx: RecipeContext, tasks: list[Task], run: StageRun
) -> dict[tuple[int, int], Response]:
    """(task, sample) -> the parsed response and its verdict: the parsed ones run in
    parallel sandboxes, or come from the verdict cache when nothing that matters changed."""
    config: SelfAlignConfig = ctx.settings
    responses: dict[tuple[int, int], Response] = {}
    for t, task in enumerate(tasks):
        for s, result in enumerate(task.responses):
            code, tests, reason = parse_response(result, task.language)
            reason = reason or api_reason(code, task.api)
            responses[(t, s)] = Response(code, tests, Verdict(reason))
    limits = Limits(wall_seconds=config.wall_seconds, cpu_seconds=int(config.wall_seconds) + 5)
    parsed = [key for key, response in responses.items() if response.verdict.passed]
    jobs = [Job(tasks[t].language, responses[(t, s)].code, responses[(t, s)].tests,
                tasks[t].api and tasks[t].api.library) for t, s in parsed]  # fmt: skip
    stats = VerifyStats()
    # on a cluster the tests run on its workers, as many at once as it has
    spread = ctx.executor if ctx.executor.distributed else None
    verdicts = verify_all(jobs, limits, config.unsafe_no_sandbox, config.sandboxes,
                          ctx.out / ".cache" / "verify.sqlite", stats,
                          ctx.show_progress, spread)  # fmt: skip
    for key, verdict in zip(parsed, verdicts, strict=True):
        responses[key] = replace(responses[key], verdict=verdict)
    run.shards, run.shards_cached = len(jobs), stats.cached
    return responses


def _select(ctx: RecipeContext, tasks: list[Task],
            responses: dict[tuple[int, int], Response]) -> Iterator[Sample | Rejected]:  # fmt: skip
    """Per task: the chosen passing responses as samples, every other one rejected."""
    config: SelfAlignConfig = ctx.settings
    counter = load_tokenizer(config.tokenizer)
    pass_counts: Counter[int] = Counter()
    for t, task in enumerate(tasks):
        seed = task.seed
        if task.rejected:
            yield _rejected(seed, task.rejected, "generate", {}, error=task.error)
            continue
        passing = [s for s in range(len(task.responses)) if responses[(t, s)].verdict.passed]
        pass_counts[len(passing)] += 1
        chosen = passing[:1] if config.keep == "first" else passing
        for s in range(len(task.responses)):
            verdict = responses[(t, s)].verdict
            if not verdict.passed:  # why: the sandbox run's, else the failed model call's
                why = verdict.detail() or {"error": task.responses[s].error}
                yield _rejected(seed, verdict.reason, "verify", {"sample": s}, **why)
            elif s not in chosen:
                yield _rejected(seed, "not_selected", "select", {"sample": s})
        for s in chosen:
            yield _sample(ctx, task, s, len(passing), counter)
    ctx.counts["pass_counts"] = dict(sorted(pass_counts.items()))


def _rejected(seed: Seed, reason: str, stage: str, detail: dict, **why: str | None) -> Rejected:
    """`detail` identifies the row; `why` (an error, a stderr tail: empty ones left out)
    only explains it."""
    meta = {"seed": seed.seed_id, "path": seed.path, "symbol": seed.symbol, **detail,
            **{key: text for key, text in why.items() if text}}  # fmt: skip
    sample_id = stable_hash("self-align", seed.seed_id, json.dumps(detail, sort_keys=True))
    return Rejected(sample_id, "self-align", "", reason, stage, meta)


def _sample(ctx: RecipeContext, task: Task, s: int, passing: int, counter) -> Sample:
    seed, response, repo = task.seed, task.responses[s].text, source_name(ctx.source)
    messages = [{"role": "user", "content": task.prompt},
                {"role": "assistant", "content": response}]  # fmt: skip
    meta: dict[str, Any] = {
        "seed": seed.to_json() | {"code": None}, "concepts": task.concepts,
        "category": task.category, "difficulty": task.difficulty, "sample": s,
        "pass_count": passing, "samples": len(task.responses)}  # fmt: skip
    if task.api is not None:
        meta["grounded"] = task.api.to_json()
    evidence = [{"chunk_id": seed.seed_id, "path": seed.path, "start_line": seed.start_line,
                 "end_line": seed.end_line}]  # fmt: skip
    # Splits by seed, which a hash orders: no seed's samples in two splits.
    return Sample(stable_hash("self-align", repo, seed.seed_id, str(s)), "self-align", "instruct",
                  messages, task.language, repo, ctx.source.commit or "", evidence, meta,
                  time=int(stable_hash(seed.seed_id)[:8], 16), group=seed.seed_id,
                  columns={"num_tokens": count_chat(messages, counter)})  # fmt: skip
