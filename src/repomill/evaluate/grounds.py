"""What the free-answer checks of a row read (`free_answers.free_answer_checks`): the
chunks at the row's commit, a reader of that commit's files and the names known there —
made as the repo-QA recipe made them (its `EvidenceBook`: the index's chunks, a chunk per
MyBatis statement, `known_identifiers` with the statements' SQL), from the repository the
build's manifest.json records, or `--repo`, indexed with the build's index settings (and
cached in the evaluation's output, like a build's index).

Where that repository cannot be reached (no manifest beside the dataset, the directory
moved or deleted, not a git repository any more, the row's commit not in it), the checks
read only what each row carries: its evidence entries as the chunks and its `snippets` as
those lines of the files, so a citation is checked against the row's own evidence and a
quote against its snippets, and no identifier is checked (`known` is None). `notes` says
so, once, in words. A `--repo` the user names that is not there, or lacks the commit, is
a UserError: that is for the user to fix."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from repomill.code.analysis.mybatis import mapper_statements
from repomill.code.build import build_index
from repomill.code.settings import IndexConfig
from repomill.errors import UserError
from repomill.export.read import build_dir
from repomill.recipes.repo_qa.evidence import EvidenceBook
from repomill.sources import SourceSpec, open_source, read_entry
from repomill.sources.files import git_repository, list_entries, resolve_commit

MAX_SNIPPET_LINE = 1_000_000  # a row's snippet starting further down is not believed
REPOSITORY, ROW_EVIDENCE = "repository", "row evidence"  # how a row was checked


@dataclass(frozen=True)
class Grounds:
    chunks_by_id: dict[str, dict[str, Any]]
    read: Callable[[str], bytes]
    known: set[str] | None  # None: identifiers are not checked
    checked: str  # REPOSITORY or ROW_EVIDENCE


class Sources:
    """The grounds of each row of one dataset, one index per commit; those of `rows` made
    at once (so a problem shows before any model runs)."""

    def __init__(self, dataset: Path, out: Path, repo: Path | None = None,
                 rows: list[dict[str, Any]] = ()):  # fmt: skip
        self.out = out
        self.notes: list[str] = []
        self.user_repo = repo is not None
        self._by_commit: dict[str, Grounds | None] = {}
        manifest, missing = _manifest(dataset)
        self.index = _index_config(manifest, self.notes)
        if repo is not None:
            self.source: SourceSpec | None = _user_repo(repo)
        elif manifest is None:
            self._note(missing)
            self.source = None
        else:
            self.source = self._recorded(manifest)
        for row in rows:
            self.grounds(row)

    def _recorded(self, manifest: dict[str, Any]) -> SourceSpec | None:
        """The repository the manifest records, if it is still there."""
        recorded = manifest.get("source")
        root = recorded.get("root") if isinstance(recorded, dict) else None
        if not isinstance(root, str):
            self._note("the manifest records no repository")
            return None
        try:
            source = open_source(root)
        except UserError as error:
            self._note(f"the repository the dataset was built from is not there ({error})")
            return None
        if recorded.get("git") and not source.is_git:
            self._note(f"{root} is not a git repository any more")
            return None
        return source

    def grounds(self, row: dict[str, Any]) -> Grounds:
        commit = row.get("commit") if isinstance(row.get("commit"), str) else ""
        if commit not in self._by_commit:
            self._by_commit[commit] = self._at(commit)
        return self._by_commit[commit] or row_grounds(row)

    def _at(self, commit: str) -> Grounds | None:
        if self.source is None:
            return None
        spec = self._spec(commit)
        if spec is None:
            return None
        built = build_index(spec, self.index, self.out, "eval index", show_progress=False)
        entries = {entry.path: entry for entry in list_entries(spec)}

        def read(path: str) -> bytes:  # only the files the commit has (a KeyError else)
            return read_entry(spec, entries[path])

        statements, _ = mapper_statements(sorted(entries), read, built.index)
        book = EvidenceBook(built.index, read, {}, statements)
        return Grounds(book.chunks, read, book.known, REPOSITORY)

    def _spec(self, commit: str) -> SourceSpec | None:
        root, where = self.source.root, "--repo " if self.user_repo else ""
        if not commit:  # a plain directory's rows (or rows that lost their commit)
            at = "at HEAD" if self.source.is_git else "as they are now (a plain directory)"
            self.notes.append(f"rows without a commit: checked against {root}'s files {at}")
            return self.source
        if not self.source.is_git:
            if self.user_repo:
                raise UserError(f"{where}{root}: not a git repository (the rows are of commit "
                                f"{commit[:12]})")  # fmt: skip
            self._note(f"{root} is not a git repository: rows of commit {commit[:12]} cannot "
                       "be checked against it")  # fmt: skip
            return None
        try:
            resolved = resolve_commit(git_repository(root), commit, root)
        except UserError:
            if self.user_repo:
                raise UserError(f"{where}{root}: no commit {commit[:12]} (the rows' commit)"
                                ) from None  # fmt: skip
            self._note(f"{root} has no commit {commit[:12]} (the rows' commit)")
            return None
        return SourceSpec(root, True, resolved)

    def _note(self, why: str) -> None:
        note = (
            f"{why}: free answers checked against each row's own evidence and snippets "
            "only; identifiers not checked (pass --repo to check against the repository)"
        )
        if note not in self.notes:
            self.notes.append(note)


def _user_repo(repo: Path) -> SourceSpec:
    try:
        return open_source(repo)
    except UserError as error:
        raise UserError(f"--repo {error}") from None


def row_grounds(row: dict[str, Any]) -> Grounds:
    """What a row alone allows: a chunk per chunk id of its evidence, spanning that id's
    entries (a definition and a statement of one chunk are two entries), and its snippets
    the only lines of their files (other lines blank)."""
    chunks: dict[str, dict[str, Any]] = {}
    for entry in row.get("evidence") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("chunk_id"), str):
            continue
        start, end = entry.get("start_line"), entry.get("end_line")
        if not isinstance(start, int) or not isinstance(end, int):
            continue
        chunk = chunks.setdefault(entry["chunk_id"], {**entry})
        if chunk.get("path") == entry.get("path"):
            chunk["start_line"] = min(chunk["start_line"], start)
            chunk["end_line"] = max(chunk["end_line"], end)
    files: dict[str, dict[int, str]] = {}
    for shown in row.get("snippets") or []:
        if not isinstance(shown, dict):
            continue
        path, start, text = shown.get("path"), shown.get("start_line"), shown.get("text")
        if not isinstance(path, str) or not isinstance(text, str) or not isinstance(start, int):
            continue
        if 1 <= start <= MAX_SNIPPET_LINE:
            lines = files.setdefault(path, {})
            for offset, line in enumerate(text.split("\n")):
                lines[start + offset] = line

    def read(path: str) -> bytes:  # a path no snippet shows is a KeyError: unreadable
        lines = files[path]
        return "".join(lines.get(n, "") + "\n" for n in range(1, max(lines) + 1)).encode()

    return Grounds(chunks, read, None, ROW_EVIDENCE)


def _manifest(dataset: Path) -> tuple[dict[str, Any] | None, str]:
    """The build's manifest.json (in DATASET, or beside it where DATASET is a build's
    dataset/ folder), or None and why not."""
    path = build_dir(dataset) / "manifest.json"
    if not path.is_file():
        return None, f"no manifest.json in {dataset} names the repository it was built from"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        return None, f"{path} does not read ({type(error).__name__})"
    return (manifest, "") if isinstance(manifest, dict) else (None, f"{path} is not a manifest")


def _index_config(manifest: dict[str, Any] | None, notes: list[str]) -> IndexConfig:
    """The build's index settings (so chunk ids come out as the build's did)."""
    config = (manifest or {}).get("config")
    recorded = config.get("index") if isinstance(config, dict) else None
    if recorded is None:
        return IndexConfig()
    try:
        return IndexConfig.model_validate(recorded)
    except ValidationError as error:
        notes.append(
            f"the manifest's index settings do not load here ({error.error_count()} "
            "errors): the defaults are used, so chunk ids may differ from the build's"
        )
        return IndexConfig()
