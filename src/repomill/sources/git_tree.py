"""Files of a git commit, read from the object database (never the work tree)."""

from __future__ import annotations

import pygit2

from repomill.sources.files import FileEntry

MODE_LINK = pygit2.enums.FileMode.LINK
MODE_COMMIT = pygit2.enums.FileMode.COMMIT


def list_git_entries(repo: pygit2.Repository, commit: str | None) -> list[FileEntry]:
    if commit is None:  # empty repository
        return []
    entries: list[FileEntry] = []
    stack = [(repo[commit].peel(pygit2.Tree), "")]
    while stack:
        tree, prefix = stack.pop()
        for item in tree:
            path = prefix + item.name
            if item.filemode == MODE_COMMIT:
                entries.append(FileEntry(path, "submodule", str(item.id), 0))
            elif item.type_str == "tree":
                stack.append((repo[item.id], path + "/"))
            elif item.filemode == MODE_LINK:
                entries.append(FileEntry(path, "symlink", str(item.id), 0))
            else:
                entries.append(FileEntry(path, "file", str(item.id), item.size))
    entries.sort(key=lambda e: e.path)
    return entries
