"""The commands besides `build`: `index`, `context` and `report`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from repomill.cli.common import (
    ConfigOpt,
    QuietOpt,
    RepoArg,
    RevOpt,
    WorkersOpt,
    console,
    index_config,
    output_dir,
    user_errors,
)
from repomill.config import load_config
from repomill.errors import UserError


def add_commands(app: typer.Typer) -> None:
    app.command()(index)
    app.command()(context)
    app.command()(report)


@user_errors
def index(
    repo: RepoArg,
    out: Annotated[Path, typer.Option(help="output directory")],
    rev: RevOpt = None,
    workers: WorkersOpt = None,
    config: ConfigOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Index a repository: chunks, symbols and imports as Parquet, plus a manifest."""
    from repomill.code.build import build_index
    from repomill.code.writer import write_index
    from repomill.sources import open_source

    settings = index_config(load_config(config).index, rev=rev, workers=workers)
    source = open_source(repo, settings.rev)
    out = output_dir(out)
    built = build_index(source, settings, out, show_progress=not quiet)
    write_index(out, built.index, built.file_records)
    built.manifest.write(out)
    if not quiet:
        _summary(built.manifest.to_json(), out)


@user_errors
def report(
    out: Annotated[Path, typer.Argument(help="a `repomill build` output directory")],
) -> None:
    """Regenerate DIR/report.html from the dataset and manifest in DIR."""
    from repomill.export.report import write_report

    if not out.is_dir():
        raise UserError(f"{out}: no such directory")
    out = output_dir(out)
    manifest = (
        json.loads((out / "manifest.json").read_text()) if (out / "manifest.json").is_file() else {}
    )
    title = manifest.get("source", {}).get("root", str(out))
    print(write_report(out, f"{Path(title).name}: {manifest.get('command', 'dataset')}"))


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
    settings = index_config(load_config(config).index, rev=rev, workers=workers)
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
    result = select_context(index, path, chunk["text"], budget, counter)
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
