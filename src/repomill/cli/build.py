"""`repomill build RECIPE REPO --out DIR`: one sub-command per registered recipe. The
shared options (output, config, workers, curation, and the model for recipes that call
one) are defined here once; each recipe's own options are generated from its settings
model, one flag per field, validated by that model."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from repomill.cli.common import (
    ConfigOpt,
    OptionalRepoArg,
    QuietOpt,
    RevOpt,
    WorkersOpt,
    console,
    field_option,
    index_config,
    keyword_params,
    opt,
    output_dir,
    user_errors,
    validated,
)
from repomill.config import load_config
from repomill.engine.settings import EngineConfig
from repomill.engine.storage import FsspecStorage, is_url
from repomill.errors import UserError, warn
from repomill.export.schema import SPLITS
from repomill.recipes.base import Recipe, config_section

SHARED: dict[str, Any] = {
    "out": opt(str, "output directory, or a URL (s3://…) the outputs are copied to at the end"),
    "rev": RevOpt,
    "workers": WorkersOpt,
    "executor": opt(str | None, "local | ray: where the stages run"),
    "ray_address": opt(str | None, "Ray cluster (auto, ray://host:10001); default: start one here"),
    "shard_cache": opt(str | None, "finished shards: a folder or URL (s3://…); default OUT/.cache"),
    "repos": opt(Path | None, "a file naming many repositories (paths or git URLs)"),
    "split_by": opt(str | None, "with --repos: time (per repository) | repo (hold out whole ones)"),
    "config": ConfigOpt,
    "quiet": QuietOpt,
    "curate": opt(bool | None, "curate at all"),
    "secrets": opt(str | None, "redact | drop samples with secrets"),
    "dedup": opt(bool | None, "remove exact and near duplicates"),
    "decontaminate": opt(list[Path] | None, "JSONL benchmark to keep out (repeatable)"),
}
LLM: dict[str, Any] = {
    "llm": opt(str | None, "embedded | openai"),
    "base_url": opt(list[str] | None, "OpenAI-compatible server …/v1 (repeat: a pool)"),
    "model": opt(str | None, "model name or HF id / path"),
    "timeout": opt(float | None, "seconds per model request"),
}


def add_recipe_commands(app: typer.Typer, recipes: dict[str, Recipe]) -> None:
    for recipe in recipes.values():
        app.command(recipe.name, help=_summary_line(recipe))(recipe_command(recipe))


def _summary_line(recipe: Recipe) -> str:
    return (inspect.getdoc(recipe) or f"Build the {recipe.name} dataset.").split("\n\n")[0]


def recipe_command(recipe: Recipe):
    """A typer command whose options are the shared ones plus one per settings field."""
    own = {name: field_option(name, info) for name, info in recipe.settings.model_fields.items()}
    shared = {**SHARED, **(LLM if recipe.needs_llm else {})}
    if clash := sorted(own.keys() & shared.keys()):
        raise ValueError(f"recipe {recipe.name}: settings {clash} clash with shared options")

    @user_errors
    def command(repo: str | None = None, **flags: Any) -> None:
        if (repo is None) == (flags["repos"] is None):
            raise UserError("give a repository (REPO) or a file of them (--repos FILE)")
        if flags["split_by"] not in (None, "time", "repo"):
            raise UserError("--split-by: time or repo")
        if flags["split_by"] and repo is not None:
            raise UserError("--split-by is for --repos")
        _build(recipe, repo, flags, list(own))

    params = [inspect.Parameter("repo", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                annotation=OptionalRepoArg, default=None)]  # fmt: skip
    params += keyword_params({**shared, **own}, {"quiet": False, "out": ...})
    command.__signature__ = inspect.Signature(params)
    return command


def _build(recipe: Recipe, repo: str | None, flags: dict[str, Any], own: list[str]) -> None:
    from repomill.export.nothing_kept import require_rows
    from repomill.export.publish import publish, shard_cache_at, staging_dir
    from repomill.recipes.run import run_recipe

    loaded = load_config(flags["config"])
    index = index_config(loaded.index, rev=flags["rev"], workers=flags["workers"])
    engine = validated(loaded.engine, {name: flags[name] for name in EngineConfig.model_fields})
    settings = validated(getattr(loaded, config_section(recipe.name)),
                         {name: flags[name] for name in own})  # fmt: skip
    extra = [str(p) for p in flags["decontaminate"] or []]
    curate = validated(loaded.curate, dict(
        secrets=flags["secrets"], dedup=flags["dedup"], enabled=flags["curate"],
        decontaminate=loaded.curate.decontaminate + extra or None))  # fmt: skip
    llm = None
    model_flags = ("llm", "base_url", "model", "timeout")
    asked = "llm" in loaded.model_fields_set or any(flags.get(n) is not None for n in model_flags)
    if recipe.needs_llm and (asked or not recipe.llm_optional):
        urls = list(dict.fromkeys(flags["base_url"] or []))  # --base-url, repeatable
        backend = flags["llm"] or ("openai" if urls else None)
        base_url = urls[0] if len(urls) == 1 else urls or None
        given = {"backend": backend, "base_url": base_url, "model": flags["model"],
                 "timeout": flags["timeout"]}  # fmt: skip
        llm = validated(loaded.llm, given)
    target = flags["out"]
    if is_url(target):
        FsspecStorage(target)  # a URL that cannot be opened fails now, not after the build
        if engine.shard_cache is None:
            engine = engine.model_copy(update={"shard_cache": shard_cache_at(target)})
    out = output_dir(staging_dir(target) if is_url(target) else Path(target))
    if repo is None:
        manifest = _build_repos(recipe, flags, settings, index, curate, llm, out, engine)
    else:
        manifest = run_recipe(recipe, _source(repo, index.rev, out), settings, index, curate,
                              llm, out, not flags["quiet"], engine)  # fmt: skip
    for warning in manifest.warnings:
        warn(warning)
    counts = manifest.counts
    why = counts["rejected"] or _stage_skips(manifest)
    require_rows(counts, out, recipe.no_input, why, recipe.nothing_kept_hint(llm))
    if is_url(target):
        publish(out, target)
    if not flags["quiet"]:
        (_print_summary if repo is not None else _print_repos_summary)(recipe, counts, target)


def _source(repo: str, rev: str | None, out: Path):
    """A path, or a git URL cloned (bare) into OUT/.cache/repos/ the first time."""
    from repomill.sources import open_source
    from repomill.sources.repo_list import URL, repo_entry

    if not URL.match(repo):
        return open_source(repo, rev)
    return repo_entry(repo, rev, Path.cwd(), out / ".cache" / "repos", set(), "REPO").source()


def _build_repos(recipe, flags, settings, index, curate, llm, out, engine):
    from repomill.recipes.repos import run_repos
    from repomill.sources.repo_list import read_repo_list

    if index.rev is not None:
        raise UserError("--rev is per repository with --repos: put it after the path")
    entries = read_repo_list(flags["repos"], out / ".cache" / "repos")
    return run_repos(recipe, entries, settings, index, curate, llm, out, not flags["quiet"],
                     engine, flags["split_by"] or "time")  # fmt: skip


def _stage_skips(manifest) -> dict[str, int]:
    """Every stage's skip reasons: why nothing was built when nothing was rejected."""
    merged: dict[str, int] = {}
    for run in manifest.stages.values():
        for reason, n in run.skipped.items():
            merged[reason] = merged.get(reason, 0) + n
    return merged


def _print_repos_summary(recipe: Recipe, counts: dict[str, Any], target: str) -> None:
    table = Table(title=f"repomill build {recipe.name} --repos → {target}")
    for column in ("repository", *SPLITS):
        table.add_column(column)
    for name, splits in counts["repos"].items():
        table.add_row(name, *(str(splits[split]) for split in SPLITS))
    table.add_row("all", *(str(counts["splits"].get(split, 0)) for split in SPLITS))
    console.print(table)
    (_, rows), (_, kept), _ = counts["funnel"]
    console.print(f"removed as copies across repositories: {rows - kept}")


def _print_summary(recipe: Recipe, counts: dict[str, Any], target: str) -> None:
    table = Table(title=f"repomill build {recipe.name} → {target}", show_header=False)
    for label, n in counts["funnel"]:
        table.add_row(label, str(n))
    table.add_row(f"{recipe.group_noun} kept", str(counts[f"{recipe.group_noun}_kept"]))
    table.add_row("splits", ", ".join(f"{k}: {v}" for k, v in counts["splits"].items()))
    rejected = sorted(counts["rejected"].items(), key=lambda item: -item[1])
    table.add_row("rejected", ", ".join(f"{k}: {v}" for k, v in rejected) or "none")
    console.print(table)
