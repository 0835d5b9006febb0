"""The self-align recipe end to end: index the repository, mine seeds, generate, run every
response's tests in the sandbox (in parallel), keep the passing ones, curate, export."""

from __future__ import annotations

import json
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from repomill.code.build import build_index
from repomill.code.settings import IndexConfig
from repomill.curate.curator import CurateConfig, Curator
from repomill.curate.decontam import humaneval
from repomill.engine import Manifest
from repomill.engine.keys import stable_hash
from repomill.engine.runner import StageRun
from repomill.errors import UserError
from repomill.export.card import bullet_counts, dataset_card
from repomill.export.report import write_report
from repomill.export.schema import sample_schema
from repomill.export.writer import DatasetWriter, rejected_record
from repomill.llm.factory import LLMConfig, make_llm
from repomill.recipes.self_align.generate import Task, generate, parse_response
from repomill.recipes.self_align.seeds import mine_seeds
from repomill.recipes.self_align.settings import SelfAlignConfig
from repomill.recipes.self_align.static_check import static_check
from repomill.sources.entries import SourceSpec
from repomill.sources.files import source_name
from repomill.tokens import count_chat, load_tokenizer
from repomill.verify import sandbox
from repomill.verify.runners import RUNNERS
from repomill.verify.sandbox import Limits
from repomill.verify.verdict import Verdict, verify_response


def build_self_align(source: SourceSpec, index_config: IndexConfig, config: SelfAlignConfig,
                     llm_config: LLMConfig, curate: CurateConfig, out: Path,
                     show_progress: bool = True) -> Manifest:  # fmt: skip
    if config.target_language and config.target_language not in RUNNERS:
        raise UserError(f"--target-language {config.target_language}: not one of "
                        f"{', '.join(sorted(RUNNERS))}")  # fmt: skip
    sandbox.require_sandbox(config.unsafe_no_sandbox)
    settings = {"self_align": config.model_dump(), "llm": llm_config.model_dump(),
                "curate": curate.model_dump()}  # fmt: skip
    manifest = Manifest("build self-align", settings, source.describe())
    built = build_index(source, index_config, out, "build", show_progress)
    manifest.add(built.manifest.stages["index_files"])
    started = time.perf_counter()
    candidates, dropped = mine_seeds(built.index, [humaneval()] if curate.humaneval else [],
                                     curate.near_threshold)  # fmt: skip
    seeds = _checked_seeds(candidates, dropped, config)
    seeding = StageRun("seeds", 1, items_in=len(seeds) + sum(dropped.values()),
                       records_out=len(seeds), skipped=dropped,
                       seconds=time.perf_counter() - started)  # fmt: skip
    manifest.add(seeding)

    llm = make_llm(llm_config, out / ".cache" / "llm.sqlite")
    started = time.perf_counter()
    try:  # raises when every model call failed
        tasks = generate(llm, seeds, config.samples, config.target_language, config.max_tokens)
    finally:
        llm.close()
    manifest.add(StageRun("generate", 1, items_in=len(seeds), records_out=sum(
        len(t.responses) for t in tasks), seconds=time.perf_counter() - started))  # fmt: skip
    if failed := llm.failure_summary():  # some calls failed: the run goes on, and says so
        manifest.warnings.append(failed)

    started = time.perf_counter()
    verdicts = _verify(tasks, config)
    passing = sum(1 for response in verdicts.values() if response.verdict.passed)
    manifest.add(StageRun("verify", 1, items_in=len(verdicts), records_out=passing,
                          seconds=time.perf_counter() - started))  # fmt: skip

    counter = load_tokenizer(config.tokenizer)
    writer = DatasetWriter(out, sample_schema("self-align"), config.format,
                           Curator(curate) if curate.enabled else None)  # fmt: skip
    repo = source_name(source)
    pass_rates, kept = _select(tasks, verdicts, config, writer, counter, repo,
                               source.commit or "")  # fmt: skip
    splits = writer.finish(config.validation, config.test)
    rejected = Counter(r["reason"] for r in writer.rejected)
    responses = sum(len(t.responses) for t in tasks)
    manifest.counts = {
        "seeds": len(seeds), "seeds_dropped": dict(sorted(dropped.items())),
        "model_calls": llm.stats.samples, "model_calls_failed": llm.stats.failures,
        "instructions": sum(1 for t in tasks if t.responses), "responses": responses,
        "responses_passing": passing,
        "pass_rate": round(passing / responses, 3) if responses else 0.0,
        "examples": sum(splits.values()), "splits": splits,
        "rejected": dict(sorted(rejected.items())),
        "pass_counts": dict(sorted(Counter(pass_rates).items())),
        "funnel": [["seed candidates", seeding.items_in], ["seeds", len(seeds)],
                   ["instructions", sum(1 for t in tasks if t.responses)],
                   ["responses", responses], ["responses passing their tests", passing],
                   ["selected", kept],
                   ["exported", sum(splits.values())]],
    }  # fmt: skip
    if writer.curator is not None:
        manifest.counts["curation"] = {**writer.curator.summary(),
                                       "deduplicated": writer.deduplicated}  # fmt: skip
    title = f"{repo}: self-align"
    numbers = {k: v for k, v in manifest.counts.items() if isinstance(v, int | float)}
    sections = {"How it was made": HOW, "Counts": bullet_counts(numbers),
                "Rejected": bullet_counts(manifest.counts["rejected"])}  # fmt: skip
    card = dataset_card(title, sample_schema("self-align"), splits, config.format, sections)
    (out / "README.md").write_text(card, encoding="utf-8")
    manifest.write(out)
    write_report(out, title)
    return manifest


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


HOW = ("Made by `repomill build --recipe self-align` (SelfCodeAlign style): documented, "
       "self-contained functions of the repository are seeds; a model lists their concepts, "
       "writes a task from them, then several responses with tests; each response's tests run "
       "in a bubblewrap sandbox and only passing responses are kept. `meta` holds the seed, "
       "the concepts and the instruction's pass count (a difficulty signal).")  # fmt: skip


def _verify(tasks: list[Task], config: SelfAlignConfig) -> dict[tuple[int, int], Response]:
    """(task, sample) -> the parsed response and its verdict, run in parallel sandboxes."""
    responses: dict[tuple[int, int], Response] = {}
    for t, task in enumerate(tasks):
        for s, result in enumerate(task.responses):
            code, tests, reason = parse_response(result, task.language)
            responses[(t, s)] = Response(code, tests, Verdict(reason))
    limits = Limits(wall_seconds=config.wall_seconds, cpu_seconds=int(config.wall_seconds) + 5)

    def run(key: tuple[int, int]) -> tuple[tuple[int, int], Verdict]:
        response = responses[key]
        return key, verify_response(tasks[key[0]].language, response.code, response.tests,
                                    limits, config.unsafe_no_sandbox)  # fmt: skip

    parsed = [key for key, response in responses.items() if response.verdict.passed]
    with ThreadPoolExecutor(config.workers) as pool:  # a hung run is killed by its timeout
        for key, verdict in pool.map(run, parsed):
            responses[key] = replace(responses[key], verdict=verdict)
    return responses


@dataclass(frozen=True)
class Response:
    code: str
    tests: str
    verdict: Verdict


def _select(tasks, verdicts, config, writer, counter, repo, commit) -> tuple[list[int], int]:
    pass_counts, kept = [], 0
    for t, task in enumerate(tasks):
        seed = task.seed
        if task.rejected:
            writer.reject(_rejected(seed, task.rejected, "generate", {}, error=task.error))
            continue
        passing = [s for s in range(len(task.responses)) if verdicts[(t, s)].verdict.passed]
        pass_counts.append(len(passing))
        chosen = passing[:1] if config.keep == "first" else passing
        for s in range(len(task.responses)):
            verdict = verdicts[(t, s)].verdict
            if not verdict.passed:  # why: the sandbox run's, else the failed model call's
                why = verdict.detail() or {"error": task.responses[s].error}
                writer.reject(_rejected(seed, verdict.reason, "verify", {"sample": s}, **why))
            elif s not in chosen:
                writer.reject(_rejected(seed, "not_selected", "select", {"sample": s}))
        for s in chosen:
            kept += 1
            # Splits by seed (a hash orders them): no seed's samples in two splits.
            writer.add(_sample(task, s, len(passing), repo, commit, counter),
                       int(stable_hash(seed.seed_id)[:8], 16), group=seed.seed_id)  # fmt: skip
    return pass_counts, kept


def _rejected(seed, reason: str, stage: str, detail: dict, **why: str | None) -> dict[str, Any]:
    """`detail` identifies the row; `why` (an error, a stderr tail: empty ones left out)
    only explains it."""
    meta = {"seed": seed.seed_id, "path": seed.path, "symbol": seed.symbol, **detail,
            **{key: text for key, text in why.items() if text}}  # fmt: skip
    sample_id = stable_hash("self-align", seed.seed_id, json.dumps(detail, sort_keys=True))
    return rejected_record(sample_id, "self-align", "", reason, stage, meta)


def _sample(task: Task, s: int, passing: int, repo: str, commit: str, counter) -> dict:
    seed, response = task.seed, task.responses[s].text
    messages = [{"role": "user", "content": task.instruction},
                {"role": "assistant", "content": response}]  # fmt: skip
    meta = {"seed": seed.to_json() | {"code": None}, "concepts": task.concepts,
            "category": task.category, "difficulty": task.difficulty, "sample": s,
            "pass_count": passing, "samples": len(task.responses)}  # fmt: skip
    return {
        "id": stable_hash("self-align", repo, seed.seed_id, str(s)),
        "recipe": "self-align", "task": "instruct", "messages": messages,
        "language": task.language, "repo": repo, "commit": commit,
        "evidence": [{"chunk_id": seed.seed_id, "path": seed.path,
                      "start_line": seed.start_line, "end_line": seed.end_line}],
        "meta": json.dumps(meta, ensure_ascii=False, sort_keys=True),
        "num_tokens": count_chat(messages, counter),
    }  # fmt: skip
