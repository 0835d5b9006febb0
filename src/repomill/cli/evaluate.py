"""`repomill eval DATASET`: the base model, and with `--adapter` the tuned one, on the
dataset's test split; the results go to OUT/eval/ of the build and into its report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from repomill.cli.common import QuietOpt, console, output_dir, user_errors
from repomill.errors import UserError


@user_errors
def evaluate(
    dataset: Annotated[Path, typer.Argument(help="a `repomill build` output or dataset folder")],
    model: Annotated[
        str | None, typer.Option(help="base model (default: embedded SmolLM2)")
    ] = None,
    base_url: Annotated[
        str | None, typer.Option(help="an OpenAI-compatible server (…/v1) serving --model")
    ] = None,
    adapter: Annotated[Path | None, typer.Option(help="a `repomill train` adapter/ folder")] = None,
    out: Annotated[
        Path | None, typer.Option(help="where results go (default: the build's eval/)")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="test rows at most")] = None,
    max_new_tokens: Annotated[int, typer.Option(help="tokens per generated answer")] = 512,
    retries: Annotated[
        int, typer.Option(help="times a free repo-QA answer with invalid citations is asked again")
    ] = 2,
    repo: Annotated[
        Path | None, typer.Option(help="the repository DATASET was built from, if it moved")
    ] = None,
    quiet: QuietOpt = False,
) -> None:
    """Evaluate a model (and an adapter) on DATASET's test split, per task."""
    from repomill.evaluate.run import evaluate as run_evaluation
    from repomill.export.read import build_dir
    from repomill.export.report import write_report
    from repomill.llm.embedded import DEFAULT_MODEL
    from repomill.llm.factory import LLMConfig

    if not dataset.is_dir():
        raise UserError(f"{dataset}: no such directory")
    if base_url is not None and (model is None or adapter is not None):
        raise UserError("--base-url needs --model (the served model's name) and no --adapter "
                        "(an adapter runs on the embedded backend)")  # fmt: skip
    if adapter is not None and not adapter.is_dir():
        raise UserError(f"--adapter {adapter}: no such directory")
    if limit is not None and limit < 1:
        raise UserError("--limit must be at least 1")
    if retries < 0:
        raise UserError("--retries must be at least 0")
    if repo is not None and not repo.is_dir():
        raise UserError(f"--repo {repo}: no such directory")
    dataset = build_dir(dataset)
    where = output_dir(out or dataset / "eval")
    llm = LLMConfig(backend="openai", base_url=base_url) if base_url else None
    run_evaluation(dataset, model or DEFAULT_MODEL, adapter, where, limit, max_new_tokens,
                   retries=retries, repo=repo, llm=llm)  # fmt: skip
    manifest = dataset / "manifest.json"
    if where == dataset / "eval" and manifest.is_file():  # the dataset's report shows it
        command = json.loads(manifest.read_text(encoding="utf-8")).get("command", "dataset")
        write_report(dataset, f"{dataset.resolve().name}: {command}")
    if not quiet:
        console.print((where / "eval.md").read_text(encoding="utf-8"), soft_wrap=True, markup=False)
