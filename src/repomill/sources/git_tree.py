"""Files of a git commit, read from the object database (never the work tree)."""

from __future__ import annotations

import pygit2

from repomill.errors import UserError
from repomill.sources.entries import FileEntry
from repomill.sources.git_objects import object_size, read_object
from repomill.sources.paths import UNSAFE_PATH, is_safe_path

MODE_LINK = pygit2.enums.FileMode.LINK
MODE_COMMIT = pygit2.enums.FileMode.COMMIT
MISSING_OBJECT = "missing_object"  # the skip reason of an entry whose object is not here


def list_git_entries(repo: pygit2.Repository, commit: str | None) -> list[FileEntry]:
    """Every entry of the commit's tree; one whose path is unsafe or whose blob or subtree
    is missing from the object database is listed with that skip reason (a folder as one
    entry of kind "tree"), and nothing below it is read."""
    if commit is None:  # empty repository
        return []
    try:
        root = repo[commit].peel(pygit2.Tree)
    except KeyError:
        raise UserError(f"commit {commit}: its tree is missing from the repository") from None
    entries: list[FileEntry] = []
    stack = [(root, "")]
    while stack:
        tree, prefix = stack.pop()
        for item in tree:
            path, kind = prefix + item.name, _kind(item)
            if not is_safe_path(path):
                entries.append(FileEntry(path, kind, str(item.id), 0, UNSAFE_PATH))
            elif kind == "tree":
                try:
                    stack.append((read_object(repo, item.id), path + "/"))
                except KeyError:
                    entries.append(FileEntry(path, kind, str(item.id), 0, MISSING_OBJECT))
            elif kind == "file":
                entries.append(_file(repo, item, path))
            else:
                entries.append(FileEntry(path, kind, str(item.id), 0))
    entries.sort(key=lambda e: e.path)
    return entries


def _file(repo: pygit2.Repository, item: pygit2.Object, path: str) -> FileEntry:
    try:
        size = object_size(repo, item.id)
    except KeyError:  # missing or corrupt
        return FileEntry(path, "file", str(item.id), 0, MISSING_OBJECT)
    return FileEntry(path, "file", str(item.id), size)


def _kind(item: pygit2.Object) -> str:
    if item.filemode == MODE_COMMIT:
        return "submodule"
    if item.type_str == "tree":
        return "tree"
    return "symlink" if item.filemode == MODE_LINK else "file"
