"""Build the code index of a source: list files, skip by path, index the rest in shards
(cached, in parallel), then resolve imports over the whole repository."""

from __future__ import annotations

import posixpath
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from repomill.code.index_stage import IndexFilesStage
from repomill.code.languages import language_for_path
from repomill.code.repo_index import RepoIndex
from repomill.code.resolve import MAX_PROJECT_FILE_BYTES, PROJECT_FILES
from repomill.code.settings import IndexConfig
from repomill.engine import Executor, Manifest, make_executor
from repomill.engine.cache import ShardCache
from repomill.engine.runner import StageRun, run_stage
from repomill.engine.sharding import content_defined_shards
from repomill.sources.entries import FileEntry, SourceSpec
from repomill.sources.files import list_entries, read_entry
from repomill.sources.filters import path_skip_reason
from repomill.sources.paths import UNSAFE_PATH


@dataclass
class BuiltIndex:
    index: RepoIndex
    file_records: list[dict[str, Any]]
    manifest: Manifest


def plan_files(
    source: SourceSpec, entries: list[FileEntry], config: IndexConfig
) -> tuple[list[tuple[FileEntry, str]], list[dict[str, Any]], dict[str, str]]:
    """(files to index with their language, records of files skipped by path, project
    files such as go.mod read for import resolution)."""
    todo: list[tuple[FileEntry, str]] = []
    skipped: list[dict[str, Any]] = []
    project: dict[str, str] = {}
    for entry in entries:
        name = posixpath.basename(entry.path)
        if entry.skip is not None:
            reason = entry.skip
        elif entry.kind != "file":
            reason = entry.kind  # symlink or submodule
        else:
            reason = path_skip_reason(entry.path, entry.size, config.max_file_bytes)
        # An unsafe path has no language: import resolution must not see it either.
        language = None if reason == UNSAFE_PATH else language_for_path(entry.path)
        if reason is None and name in PROJECT_FILES and entry.size <= MAX_PROJECT_FILE_BYTES:
            project[entry.path] = read_entry(source, entry).decode("utf-8", errors="replace")
        if reason is None and language is None:
            reason = "unsupported_language"
        if reason is None:
            todo.append((entry, language))
        else:
            skipped.append({"path": entry.path, "language": language or "", "blob": entry.blob,
                            "size": entry.size, "status": reason})  # fmt: skip
    return todo, skipped, project


def build_index(
    source: SourceSpec,
    config: IndexConfig,
    out_dir: Path | None,
    command: str = "index",
    show_progress: bool = True,
    executor: Executor | None = None,
    shards: ShardCache | None = None,
) -> BuiltIndex:
    """The index of `source`. `executor`: the run's pool, used and left open (its worker
    count wins over `config.workers`); None makes a pool for this build and closes it.
    `shards`: the run's shard cache; None: OUT_DIR/.cache (none without `out_dir`)."""
    manifest = Manifest(command, config.model_dump(), source.describe())
    listing = StageRun("list_files", 1)
    entries = list_entries(source)
    todo, skipped, project_files = plan_files(source, entries, config)
    listing.items_in = len(entries)
    listing.records_out = len(todo)
    listing.skipped = Counter(r["status"] for r in skipped)
    manifest.add(listing)

    stage = IndexFilesStage(source, config.max_chunk_bytes)
    batches = content_defined_shards(todo, lambda item: item[0].path, average=config.shard_files,
                                    maximum=4 * config.shard_files)  # fmt: skip
    if shards is None:
        shards = ShardCache(out_dir / ".cache" if out_dir is not None else None)
    own = make_executor(config.workers, (IndexFilesStage.__module__,)) if executor is None else None
    try:
        records, run = run_stage(stage, batches, executor or own, shards, show_progress)
    finally:
        if own is not None:
            own.close()
    manifest.add(run)

    file_records = sorted(skipped + records, key=lambda r: r["path"])
    index = RepoIndex(file_records, project_files)
    manifest.counts = _counts(len(entries), file_records, index)
    return BuiltIndex(index, file_records, manifest)


def _counts(listed: int, file_records: list[dict[str, Any]], index: RepoIndex) -> dict[str, Any]:
    return {
        "files_listed": listed,
        "files_indexed": len(index.files),
        "files_skipped": len(file_records) - len(index.files),
        "files_with_parse_errors": sum(1 for r in index.files if r["has_error"]),
        "chunks": len(index.chunks),
        "symbols": len(index.symbols),
        "imports": sum(len(v) for v in index.imports.values()),
        "imports_resolved": sum(1 for v in index.resolved.values() for r in v if r["resolved"]),
        "languages": dict(sorted(Counter(r["language"] for r in index.files).items())),
    }
