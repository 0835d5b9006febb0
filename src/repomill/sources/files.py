"""Opening a source (a git repository read from its objects at a revision, or a plain
directory), listing its entries and reading one."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pygit2

from repomill.errors import UserError
from repomill.sources.clones import readable_root
from repomill.sources.directory import list_directory_entries
from repomill.sources.entries import FileEntry, SourceSpec
from repomill.sources.git_objects import read_object
from repomill.sources.git_tree import list_git_entries


def open_source(path: str | Path, rev: str | None = None) -> SourceSpec:
    """Resolve a user-given path (and revision) into a SourceSpec, or raise UserError."""
    root = Path(path).expanduser()
    if not root.exists():
        raise UserError(f"{path}: no such directory")
    if not root.is_dir():
        raise UserError(f"{path}: not a directory")
    root = root.resolve()
    repo = _git_repository_at(root)
    if repo is None:
        if rev is not None:
            raise UserError(f"{path}: not a git repository (--rev needs one)")
        return SourceSpec(str(root), is_git=False)
    return SourceSpec(str(root), is_git=True, commit=resolve_commit(repo, rev or "HEAD", path))


def _git_repository_at(root: Path) -> pygit2.Repository | None:
    """The repository whose work tree or git directory is exactly `root` (a subdirectory
    of a work tree is read as a plain directory)."""
    found = pygit2.discover_repository(str(root))
    if found is None:
        return None
    repo = pygit2.Repository(found)
    tops = {Path(p).resolve() for p in (repo.workdir, repo.path) if p}
    return repo if root in tops else None


def resolve_commit(repo: pygit2.Repository, rev: str, shown_path: str | Path) -> str | None:
    """The commit id `rev` names; None for HEAD of an empty repository."""
    if repo.head_is_unborn and rev == "HEAD":
        return None
    try:
        return str(repo.revparse_single(rev).peel(pygit2.Commit).id)
    except (KeyError, ValueError, pygit2.GitError, pygit2.InvalidSpecError):
        raise UserError(f"{shown_path}: unknown revision {rev!r}") from None


@lru_cache(maxsize=8)
def git_repository(root: str) -> pygit2.Repository:
    """One open repository per worker process and path; a cache, not shared state."""
    return pygit2.Repository(root)


def source_name(spec: SourceSpec) -> str:
    """owner/name from a git source's origin remote when there is one, else the
    directory's name."""
    url = ""
    if spec.is_git:
        try:
            url = git_repository(spec.root).remotes["origin"].url or ""
        except (KeyError, ValueError):
            url = ""
    url = url.rstrip("/").removesuffix(".git")
    if url:
        return "/".join(url.replace(":", "/").split("/")[-2:])
    return Path(spec.root.rstrip("/")).name.removesuffix(".git")


def source_repository(spec: SourceSpec) -> pygit2.Repository:
    """The source's repository as this process reads it: at its path, or, on a worker
    machine that does not see that path, the machine's own clone of its URL."""
    return git_repository(readable_root(spec.root, spec.url, spec.commit))


def list_entries(spec: SourceSpec) -> list[FileEntry]:
    """Every entry of the source, sorted by path."""
    if spec.is_git:
        return list_git_entries(source_repository(spec), spec.commit)
    return list_directory_entries(Path(spec.root))


def read_entry(spec: SourceSpec, entry: FileEntry) -> bytes:
    if spec.is_git:
        return read_object(source_repository(spec), entry.blob).data
    return (Path(spec.root) / entry.path).read_bytes()
