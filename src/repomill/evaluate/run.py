"""`evaluate`: a model on a dataset's test split — the repository's future, since splits
are by time — the base model and, given an adapter, the base with it, side by side, per
task; for commit edits beside the "change nothing" baseline (the old code as the answer),
so a number means something; free repo-QA answers by strict cited inference (`cited`:
retried with the checks' feedback, then accepted or rejected). Generation goes through the
LLM layer: batched and cached. Writes OUT/eval.json, OUT/eval.md (the table) and OUT/eval.png
(the chart)."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from repomill.errors import UserError, warn
from repomill.evaluate import cited, commit_edits, repo_qa, self_align
from repomill.evaluate.grounds import Sources
from repomill.evaluate.tables import chart, markdown_table
from repomill.export.read import read_dataset
from repomill.llm.factory import LLMConfig, make_llm
from repomill.llm.types import Request
from repomill.verify.sandbox import Limits

BASELINE = "change nothing"


def evaluate(dataset: Path, model: str, adapter: Path | None, out: Path, limit: int | None,
             max_new_tokens: int, sandboxes: int = 2, retries: int = 2, repo: Path | None = None,
             llm: LLMConfig | None = None) -> dict[str, Any]:  # fmt: skip
    """`retries`: of a free answer whose citations fail; `repo`: the repository the dataset
    was built from, where its manifest's is gone; `llm`: the backend (default embedded)."""
    if retries < 0:
        raise UserError("--retries must be at least 0")
    rows = read_dataset(dataset).get("test", [])[:limit]
    if not rows:
        raise UserError(f"{dataset}: no test split to evaluate on")
    base = (llm or LLMConfig()).model_copy(update={"model": model})
    variants = {"base": base}
    if adapter is not None:
        variants["adapter"] = base.model_copy(update={"adapter": str(adapter)})
    plain = [row for row in rows if not cited.is_free(row)]
    free = [row for row in rows if cited.is_free(row)]
    sources = Sources(dataset, out, repo, free) if free else None
    scores: dict[str, dict[str, Any]] = defaultdict(dict)
    for name, config in variants.items():
        texts = _generate(config, plain, out / ".cache" / "llm.sqlite", max_new_tokens)
        for task, summary in _scored(plain, texts, out, sandboxes).items():
            scores[task][name] = summary
        if sources is not None:
            for task, summary in _free(config, free, sources, out, retries, max_new_tokens).items():
                scores[task][name] = summary
    edits = [row for row in rows if row["recipe"] == "commits"]
    if edits:
        baseline = [commit_edits.change_nothing_baseline(row) for row in edits]
        scores["commits"][BASELINE] = commit_edits.summarise(baseline)
    report = {"dataset": str(dataset), "model": model, "adapter": str(adapter or ""),
              "test_rows": len(rows), "tasks": dict(scores),
              "notes": sources.notes if sources is not None else []}  # fmt: skip
    for note in report["notes"]:
        warn(note)
    (out / "eval.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (out / "eval.md").write_text(markdown_table(report), encoding="utf-8")
    chart(report, out / "eval.png")
    return report


def _generate(config: LLMConfig, rows: list[dict], cache: Path, max_new_tokens: int) -> list[str]:
    """The model's answer to each row's prompt, greedy; a failed call answers ""."""
    llm = make_llm(config, cache)
    try:
        requests = [Request.chat(_prompt(row), temperature=0.0, max_tokens=max_new_tokens)
                    for row in rows]  # fmt: skip
        return [result.text if result.ok else "" for (result,) in llm.generate(requests)]
    finally:
        llm.close()


def _free(config: LLMConfig, rows: list[dict], sources: Sources, out: Path, retries: int,
          max_new_tokens: int) -> dict[str, Any]:  # fmt: skip
    llm = make_llm(config, out / ".cache" / "llm.sqlite")
    try:
        return cited.scored(llm, rows, sources, retries, max_new_tokens)
    finally:
        llm.close()


def _prompt(row: dict) -> list[dict]:
    return list(row.get("prompt") or row["messages"][:-1])


def _scored(rows: list[dict], texts: list[str], out: Path, sandboxes: int) -> dict[str, Any]:
    """Per task: the summary of every row's score."""
    by_task: dict[str, list[tuple[dict, str]]] = defaultdict(list)
    for row, text in zip(rows, texts, strict=True):
        by_task[_task(row)].append((row, text))
    summaries: dict[str, Any] = {}
    for task, pairs in by_task.items():
        if task == "commits":
            summaries[task] = commit_edits.summarise([commit_edits.score_edit(r, t)
                                                      for r, t in pairs])  # fmt: skip
        elif task == "self-align":
            results = self_align.pass_at_1_many(pairs, Limits(), sandboxes,
                                                out / ".cache" / "verify.sqlite")  # fmt: skip
            summaries[task] = self_align.summarise(results)
        elif task == "repo-qa:qa_exact":
            summaries[task] = repo_qa.summarise([repo_qa.answer_accuracy(r, t) for r, t in pairs])
    return summaries


def _task(row: dict) -> str:
    return row["recipe"] if row["recipe"] != "repo-qa" else f"repo-qa:{row['task']}"
