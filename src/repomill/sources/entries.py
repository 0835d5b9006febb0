"""What a source is made of: the entries it lists, and the picklable description of the
source a worker process needs to read entries itself."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FileEntry:
    path: str  # repository-relative, '/'-separated
    kind: str  # "file", "symlink", "submodule", or "tree" (a folder that could not be read)
    blob: str  # git blob id, or "stat:<size>:<mtime_ns>" for a plain directory
    size: int
    skip: str | None = None  # why listing already knows it cannot be read (e.g. unsafe_path)


@dataclass(frozen=True)
class SourceSpec:
    root: str  # absolute path of the directory or the git repository
    is_git: bool
    commit: str | None = None  # resolved commit id for git sources
    # a git URL the source was cloned from: where a worker machine that does not see
    # `root` clones it itself (sources.clones)
    url: str | None = None

    def describe(self) -> dict[str, object]:
        """The source as a manifest records it."""
        url = {"url": self.url} if self.url else {}
        return {"root": self.root, "git": self.is_git, "commit": self.commit, **url}
