"""Files of a plain directory, honouring every .gitignore on the way down."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pathspec

from repomill.errors import UserError
from repomill.sources.entries import FileEntry

UNREADABLE = "unreadable"  # the skip reason of what the user running repomill cannot read


def _load_ignore(directory: Path) -> pathspec.GitIgnoreSpec | None:
    try:
        lines = (directory / ".gitignore").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return pathspec.GitIgnoreSpec.from_lines(lines.splitlines())


def _ignored(specs: list[tuple[str, pathspec.GitIgnoreSpec]], rel: str, is_dir: bool) -> bool:
    """Deeper .gitignore files override shallower ones; within one file the last match wins."""
    verdict = False
    for base, spec in specs:
        local = rel[len(base) :] if base else rel
        result = spec.check_file(local + "/" if is_dir else local)
        if result.include is not None:
            verdict = result.include
    return verdict


def list_directory_entries(root: Path) -> list[FileEntry]:
    """Every file and symlink not ignored; a folder that cannot be listed is one entry
    of kind "tree" with skip reason `unreadable` (files that cannot be read are found
    when they are read)."""
    entries: list[FileEntry] = []
    ignore_stack: dict[str, list[tuple[str, pathspec.GitIgnoreSpec]]] = {"": []}

    def unreadable(error: OSError) -> None:
        rel = os.path.relpath(error.filename, root).replace(os.sep, "/")
        if rel == ".":
            raise UserError(f"{root}: unreadable directory ({error.strerror})")
        entries.append(FileEntry(rel, "tree", "", 0, UNREADABLE))

    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable, followlinks=False):
        rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
        rel_dir = "" if rel_dir == "." else rel_dir + "/"
        specs = list(ignore_stack.get(rel_dir, []))
        spec = _load_ignore(Path(dirpath))
        if spec is not None:
            specs.append((rel_dir, spec))
        kept_dirs = []
        for name in sorted(dirnames):
            rel = rel_dir + name
            if name == ".git" or _ignored(specs, rel, is_dir=True):
                continue
            if os.path.islink(os.path.join(dirpath, name)):
                entries.append(FileEntry(rel, "symlink", "", 0))
                continue
            kept_dirs.append(name)
            ignore_stack[rel + "/"] = specs
        dirnames[:] = kept_dirs
        for name in filenames:
            rel = rel_dir + name
            if _ignored(specs, rel, is_dir=False):
                continue
            full = os.path.join(dirpath, name)
            try:
                st = os.lstat(full)
            except OSError:  # e.g. in a folder that can be listed but not searched
                entries.append(FileEntry(rel, "file", "", 0, UNREADABLE))
                continue
            if stat.S_ISLNK(st.st_mode):
                entries.append(FileEntry(rel, "symlink", "", 0))
            elif stat.S_ISREG(st.st_mode):
                entries.append(
                    FileEntry(rel, "file", f"stat:{st.st_size}:{st.st_mtime_ns}", st.st_size)
                )
    entries.sort(key=lambda e: e.path)
    return entries
