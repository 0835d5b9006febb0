"""The `repomill` command line."""

from __future__ import annotations

import errno
import functools
import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from repomill.code.settings import IndexConfig
from repomill.config import load_config
from repomill.engine.out_lock import OutputLock
from repomill.errors import UserError, warn

app = typer.Typer(
    help="Turn a code repository and its git history into training data for code LLMs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console(stderr=True)

RepoArg = Annotated[Path, typer.Argument(help="repository or directory to read")]
RevOpt = Annotated[str | None, typer.Option(help="git revision (default HEAD)")]
WorkersOpt = Annotated[int | None, typer.Option(help="worker processes (default: cores)")]
ConfigOpt = Annotated[Path | None, typer.Option("--config", help="TOML config file")]


_locks: list[OutputLock] = []  # output directories the running command holds
_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


def user_errors(command):
    """Turn a UserError, or a full disk, into one line on stderr and exit code 2 (no
    traceback); release the command's output directory however it ends."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except UserError as exc:
            _fail(str(exc))
        except OSError as exc:
            if exc.errno not in _DISK_FULL:
                raise
            # pyarrow's write errors carry no file name: name the output directory then
            where = exc.filename or (_locks[-1].out if _locks else None)
            _fail(os.strerror(exc.errno).lower() + (f" writing {where}" if where else ""))
        finally:
            while _locks:
                _locks.pop().release()

    return wrapper


def _fail(message: str):
    print(f"repomill: error: {message}", file=sys.stderr)
    raise typer.Exit(2) from None


def _index_config(config: Path | None, **overrides) -> IndexConfig:
    base = load_config(config).index
    values = {k: v for k, v in overrides.items() if v is not None}
    if values.get("workers", 1) < 1:
        raise UserError("--workers must be at least 1")
    return base.model_copy(update=values)


@app.command()
@user_errors
def index(
    repo: RepoArg,
    out: Annotated[Path, typer.Option(help="output directory")],
    rev: RevOpt = None,
    workers: WorkersOpt = None,
    config: ConfigOpt = None,
    quiet: Annotated[bool, typer.Option(help="no progress or summary")] = False,
) -> None:
    """Index a repository: chunks, symbols and imports as Parquet, plus a manifest."""
    from repomill.code.build import build_index
    from repomill.code.writer import write_index
    from repomill.sources import open_source

    settings = _index_config(config, rev=rev, workers=workers)
    source = open_source(repo, settings.rev)
    out = _output_dir(out)
    built = build_index(source, settings, out, show_progress=not quiet)
    write_index(out, built.index, built.file_records)
    built.manifest.write(out)
    if not quiet:
        _summary(built.manifest.to_json(), out)


@app.command()
@user_errors
def build(
    repo: RepoArg,
    out: Annotated[Path, typer.Option(help="output directory")],
    recipe: Annotated[
        str, typer.Option(help="what data to make: commits | self-align")
    ] = "commits",
    rev: RevOpt = None,
    max_commits: Annotated[int | None, typer.Option(help="newest commits to read")] = None,
    since: Annotated[str | None, typer.Option(help="commits at or after DATE")] = None,
    until: Annotated[str | None, typer.Option(help="commits at or before DATE")] = None,
    first_parent: Annotated[bool | None, typer.Option(help="only the first-parent line")] = None,
    per_unit: Annotated[bool | None, typer.Option(help="one example per changed unit")] = None,
    target: Annotated[str | None, typer.Option(help="whole | udiff | search-replace")] = None,
    max_tokens: Annotated[int | None, typer.Option(help="token budget per example")] = None,
    tokenizer: Annotated[str | None, typer.Option(help="HF id, tokenizer.json or qwen2.5")] = None,
    output_format: Annotated[str | None, typer.Option("--format", help="parquet | jsonl")] = None,
    secrets: Annotated[str | None, typer.Option(help="redact | drop samples with secrets")] = None,
    decontaminate: Annotated[
        list[Path] | None, typer.Option(help="JSONL benchmark to keep out (repeatable)")
    ] = None,
    dedup: Annotated[bool | None, typer.Option(help="remove exact and near duplicates")] = None,
    curate: Annotated[bool | None, typer.Option(help="curate at all")] = None,
    limit: Annotated[int | None, typer.Option(help="self-align: seeds at most")] = None,
    samples: Annotated[int | None, typer.Option(help="self-align: responses each")] = None,
    keep: Annotated[str | None, typer.Option(help="self-align: first | all-passing")] = None,
    target_language: Annotated[str | None, typer.Option(help="self-align: answer in")] = None,
    unsafe_no_sandbox: Annotated[
        bool, typer.Option(help="self-align: run generated code without bubblewrap")
    ] = False,
    llm: Annotated[str | None, typer.Option(help="embedded | openai")] = None,
    base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible server …/v1")] = None,
    model: Annotated[str | None, typer.Option(help="model name or HF id / path")] = None,
    timeout: Annotated[float | None, typer.Option(help="seconds per model request")] = None,
    workers: WorkersOpt = None,
    config: ConfigOpt = None,
    quiet: Annotated[bool, typer.Option(help="no progress or summary")] = False,
) -> None:
    """Build a training dataset from a repository (recipe: commits or self-align)."""
    from repomill.export.nothing_kept import require_rows
    from repomill.recipes.commits.recipe import build_commits
    from repomill.sources import open_source

    if recipe not in ("commits", "self-align"):
        raise UserError(f"--recipe {recipe}: unknown recipe (available: commits, self-align)")
    index_settings = _index_config(config, rev=rev, workers=workers)
    overrides = dict(max_commits=max_commits, since=since, until=until, first_parent=first_parent,
                     per_unit=per_unit, target=target, max_tokens=max_tokens,
                     tokenizer=tokenizer, format=output_format)  # fmt: skip
    loaded = load_config(config)
    settings = _validated(loaded.commits, overrides)
    extra = [str(p) for p in decontaminate or []]
    curation = _validated(loaded.curate, dict(secrets=secrets, dedup=dedup, enabled=curate,
                          decontaminate=loaded.curate.decontaminate + extra or None))  # fmt: skip
    source = open_source(repo, index_settings.rev)
    out = _output_dir(out)
    if recipe == "self-align":
        from repomill.recipes.self_align.recipe import build_self_align

        aligned = _validated(loaded.self_align, dict(
            limit=limit, samples=samples, keep=keep, target_language=target_language,
            unsafe_no_sandbox=unsafe_no_sandbox or None, format=output_format,
            tokenizer=tokenizer))  # fmt: skip
        backend = llm or ("openai" if base_url else None)
        llm_settings = _validated(loaded.llm, dict(backend=backend, base_url=base_url,
                                                   model=model, timeout=timeout))  # fmt: skip
        manifest = build_self_align(source, index_settings, aligned, llm_settings, curation,
                                    out, not quiet)  # fmt: skip
        for warning in manifest.warnings:
            warn(warning)
        counts = manifest.counts
        # Why nothing was kept: the seeds' drops until a seed reached the model, then the
        # rejections of tasks and responses.
        why = counts["rejected"] if counts["seeds"] else counts["seeds_dropped"]
        require_rows(counts, out, "no seed candidates in the repository", why)
        if not quiet:
            console.print(f"self-align → {out}: {counts['seeds']} seeds, "
                          f"{counts['responses']} responses, pass rate {counts['pass_rate']}, "
                          f"examples {counts['splits']}")  # fmt: skip
        return
    manifest = build_commits(source, index_settings, settings, out, not quiet, curation)
    require_rows(manifest.counts, out, "no commits in the range", manifest.counts["rejected"])
    if not quiet:
        counts = manifest.to_json()["counts"]
        table = Table(title=f"repomill build --recipe commits → {out}", show_header=False)
        table.add_row("commits listed", str(counts["commits_listed"]))
        table.add_row("commits kept", str(counts["commits_kept"]))
        table.add_row("examples", ", ".join(f"{k}: {v}" for k, v in counts["splits"].items()))
        table.add_row("rejected", ", ".join(f"{k}: {v}" for k, v in counts["rejected"].items()))
        console.print(table)


@app.command()
@user_errors
def report(
    out: Annotated[Path, typer.Argument(help="a `repomill build` output directory")],
) -> None:
    """Regenerate DIR/report.html from the dataset and manifest in DIR."""
    from repomill.export.report import write_report

    if not out.is_dir():
        raise UserError(f"{out}: no such directory")
    out = _output_dir(out)
    manifest = (
        json.loads((out / "manifest.json").read_text()) if (out / "manifest.json").is_file() else {}
    )
    title = manifest.get("source", {}).get("root", str(out))
    print(write_report(out, f"{Path(title).name}: {manifest.get('command', 'dataset')}"))


def _validated(base, overrides: dict):
    """`base` with the flags given, validated like the config file (one-line errors)."""
    from pydantic import ValidationError

    values = {**base.model_dump(), **{k: v for k, v in overrides.items() if v is not None}}
    try:
        return type(base).model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        flag = "--" + str(first["loc"][0]).replace("_", "-")
        raise UserError(f"{flag}: {first['msg']}") from None


def _output_dir(out: Path) -> Path:
    """Create `out` if needed and lock it for this command: one build per directory."""
    out = out.expanduser()
    if out.exists() and not out.is_dir():
        raise UserError(f"{out}: exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    _locks.append(OutputLock.acquire(out))
    return out


def _summary(manifest: dict, out: Path) -> None:
    counts = manifest["counts"]
    table = Table(title=f"repomill index → {out}", show_header=False)
    for key in ("files_listed", "files_indexed", "files_skipped", "chunks", "symbols", "imports"):
        table.add_row(key.replace("_", " "), str(counts[key]))
    skipped = {**manifest["stages"]["list_files"]["skipped"],
               **manifest["stages"]["index_files"]["skipped"]}  # fmt: skip
    if skipped:
        table.add_row("skip reasons", ", ".join(f"{k}: {v}" for k, v in sorted(skipped.items())))
    table.add_row("seconds", f"{manifest['wall_seconds']:.2f}")
    console.print(table)


def _parse_location(location: str) -> tuple[str, int]:
    path, sep, line = location.rpartition(":")
    if not sep or not line.isdigit() or int(line) < 1:
        raise UserError(f"{location!r}: expected PATH:LINE, e.g. src/app.py:42")
    return path.lstrip("./") if path.startswith("./") else path, int(line)


@app.command()
@user_errors
def context(
    repo: RepoArg,
    location: Annotated[str, typer.Argument(help="PATH:LINE of the code, relative to REPO")],
    budget: Annotated[int, typer.Option(help="token budget for the context")] = 2048,
    tokenizer: Annotated[str | None, typer.Option(help="tokenizer (default qwen2.5)")] = None,
    rev: RevOpt = None,
    workers: WorkersOpt = None,
    config: ConfigOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Print the cross-file context of the unit at PATH:LINE."""
    from repomill.code.build import build_index
    from repomill.code.context import select_context
    from repomill.sources import open_source
    from repomill.tokens import load_tokenizer

    path, line = _parse_location(location)
    settings = _index_config(config, rev=rev, workers=workers)
    source = open_source(repo, settings.rev)
    counter = load_tokenizer(tokenizer)
    built = build_index(source, settings, None, command="context", show_progress=False)
    index = built.index
    if path not in index.language:
        status = next((r["status"] for r in built.file_records if r["path"] == path), None)
        why = f"skipped ({status})" if status else "not in the repository"
        raise UserError(f"{path}: {why}")
    chunk = index.chunk_at(path, line)
    if chunk is None:
        raise UserError(f"{path}:{line}: no code at that line")
    result = select_context(index, path, chunk["text"], chunk["references"], budget, counter)
    if as_json:
        payload = {
            "chunk": {
                k: chunk[k] for k in ("chunk_id", "path", "symbol", "start_line", "end_line")
            },
            "imports": result.imports,
            "items": [item.to_json() for item in result.items],
            "tokens": result.tokens,
            "dropped": result.dropped,
        }
        print(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    print(f"# context for {chunk['symbol']} ({path}:{chunk['start_line']}-{chunk['end_line']})")
    print(f"# {result.tokens} tokens ({counter.name}), {len(result.items)} definitions, "
          f"{result.dropped} dropped for the {budget}-token budget")  # fmt: skip
    if result.imports:
        print(f"\n# imports of {path}\n{result.imports}")
    for item in result.items:
        print(f"\n# {item.path}:{item.start_line}-{item.end_line} {item.kind} {item.symbol}")
        print(item.text)


llm_app = typer.Typer(help="The language-model layer.", no_args_is_help=True)
app.add_typer(llm_app, name="llm")


@llm_app.command("check")
@user_errors
def llm_check(
    llm: Annotated[str | None, typer.Option(help="embedded | openai")] = None,
    base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible server …/v1")] = None,
    model: Annotated[str | None, typer.Option(help="model name or HF id / path")] = None,
    api_key_env: Annotated[str | None, typer.Option(help="variable holding the key")] = None,
    timeout: Annotated[float | None, typer.Option(help="seconds per model request")] = None,
    config: ConfigOpt = None,
) -> None:
    """Send one request and print the model, latency and tokens/s (or one error line)."""
    import time

    from repomill.llm.factory import make_llm
    from repomill.llm.prompts import render
    from repomill.llm.types import Request

    backend = llm or ("openai" if base_url else None)
    settings = _validated(load_config(config).llm, dict(backend=backend, base_url=base_url,
                          model=model, api_key_env=api_key_env, timeout=timeout))  # fmt: skip
    client = make_llm(settings.model_copy(update={"max_retries": min(settings.max_retries, 1)}))
    prompt = render("check", line='fn main() { println!("hi"); }')
    timings = []
    for seed in (0, 1):  # the first also loads the model or opens the connection
        started = time.perf_counter()
        ((result,),) = client.generate([Request.chat([{"role": "user", "content": prompt}],
                                                     max_tokens=16, seed=seed)])  # fmt: skip
        timings.append(time.perf_counter() - started)
        if not result.ok:
            raise UserError(f"{client.backend.name} {client.backend.model}: {result.error}")
    seconds = timings[-1]
    speed = result.completion_tokens / seconds if seconds else 0.0
    print(f"backend {client.backend.name} · model {client.backend.model}")
    print(f"first request {timings[0]:.2f} s (with loading) · then {seconds:.2f} s for "
          f"{result.completion_tokens} tokens · {speed:.1f} tokens/s")  # fmt: skip
    print(f"reply: {result.text.strip()[:200]!r}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
