"""What a commit changed: per file, old and new paths and blob ids, and the hunks (line
ranges) of the files the caller asks for. Renames are detected as git does (similarity)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pygit2
from pygit2.enums import DeltaStatus, FileMode

from repomill.sources.paths import is_safe_path

_STATUS = {
    DeltaStatus.ADDED: "A",
    DeltaStatus.DELETED: "D",
    DeltaStatus.MODIFIED: "M",
    DeltaStatus.RENAMED: "R",
    DeltaStatus.COPIED: "C",
    DeltaStatus.TYPECHANGE: "T",
}


REGULAR_MODES = frozenset({FileMode.BLOB, FileMode.BLOB_EXECUTABLE})


def is_regular(file: pygit2.DiffFile) -> bool:
    """A file's content, not a symlink's target or a submodule's commit."""
    return file.mode in REGULAR_MODES


@dataclass(frozen=True)
class Hunk:
    old_start: int  # 1-based; for an insertion, the line after which new lines go (0: top)
    old_lines: int
    new_start: int
    new_lines: int


@dataclass
class FileChange:
    status: str  # A, D, M, R, C or T
    old_path: str | None
    new_path: str | None
    old_blob: str | None
    new_blob: str | None
    binary: bool = False
    hunks: list[Hunk] | None = None  # None: not asked for (or binary)
    added: int = 0
    removed: int = 0
    mode_only: bool = False  # only the file mode changed

    @property
    def path(self) -> str:
        return self.new_path or self.old_path or ""


def commit_changes(
    repo: pygit2.Repository,
    parent: str | None,
    sha: str,
    wanted: Callable[[str], bool] = lambda path: True,
    unsafe: list[str] | None = None,
) -> list[FileChange]:
    """The files `sha` changed relative to `parent` (None: an initial commit), with hunks
    (no context lines) for every file whose path `wanted` accepts. Symlinks and
    submodules are not files: a side that is one counts as absent. So does a side whose
    path is unsafe (`is_safe_path`); such paths are appended to `unsafe` when given."""
    tree = repo[sha].peel(pygit2.Tree)
    if parent is None:
        diff = tree.diff_to_tree(context_lines=0, swap=True)
    else:
        diff = repo[parent].peel(pygit2.Tree).diff_to_tree(tree, context_lines=0)
    statuses = {delta.status for delta in diff.deltas}
    if DeltaStatus.ADDED in statuses and DeltaStatus.DELETED in statuses:
        diff.find_similar()
    changes = []
    for position, delta in enumerate(diff.deltas):
        status = _STATUS.get(delta.status)
        old_file = status not in (None, "A") and _usable(delta.old_file, unsafe)
        new_file = status not in (None, "D") and _usable(delta.new_file, unsafe)
        if not old_file and not new_file:
            continue
        if old_file != new_file:
            status = "A" if new_file else "D"
        change = FileChange(
            status=status,
            old_path=None if status == "A" else delta.old_file.path,
            new_path=None if status == "D" else delta.new_file.path,
            old_blob=None if status == "A" else str(delta.old_file.id),
            new_blob=None if status == "D" else str(delta.new_file.id),
        )
        if change.old_blob == change.new_blob:
            change.mode_only = True
        elif wanted(change.path):
            _read_patch(diff[position], change)
        changes.append(change)
    return changes


def _usable(file: pygit2.DiffFile, unsafe: list[str] | None) -> bool:
    if not is_regular(file):
        return False
    if is_safe_path(file.path):
        return True
    if unsafe is not None and file.path not in unsafe:  # a side of a modification
        unsafe.append(file.path)
    return False


def _read_patch(patch: pygit2.Patch | None, change: FileChange) -> None:
    if patch is None:
        return
    change.binary = patch.delta.is_binary
    if change.binary:
        return
    _, change.added, change.removed = patch.line_stats
    change.hunks = [Hunk(h.old_start, h.old_lines, h.new_start, h.new_lines) for h in patch.hunks]


__all__ = ["FileChange", "Hunk", "commit_changes"]
