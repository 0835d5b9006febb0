"""What import resolution knows about the repository as a whole: its indexed files and the
project files that define module roots (go.mod, Cargo.toml, tsconfig.json)."""

from __future__ import annotations

import posixpath
from collections import defaultdict
from dataclasses import dataclass, field

# Project files read (not indexed) because they define how imports resolve.
PROJECT_FILES = frozenset({"go.mod", "Cargo.toml", "tsconfig.json", "jsconfig.json"})
MAX_PROJECT_FILE_BYTES = 1_000_000  # larger ones are not read


@dataclass
class Resolved:
    """An import resolved against the repository."""

    targets: list[str] = field(default_factory=list)  # files the import refers to
    # local name -> (file, name defined there)
    names: list[tuple[str, str, str]] = field(default_factory=list)
    # local name bound to a whole module (`import a.b as m`, `import * as ns`, a Go
    # package) -> its file. Targets bound neither way have all their names in reach.
    modules: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class RepoLayout:
    files: set[str]
    project_files: dict[str, str]  # path -> text, for PROJECT_FILES
    packages: dict[str, str] = field(default_factory=dict)  # file -> declared package (Java/Go)

    def __post_init__(self) -> None:
        self.by_dir: dict[str, list[str]] = defaultdict(list)
        for path in sorted(self.files):
            self.by_dir[posixpath.dirname(path)].append(path)
        self.subdirs: dict[str, set[str]] = defaultdict(set)  # folder -> its folders
        for directory in list(self.by_dir):
            while directory and directory not in self.subdirs[posixpath.dirname(directory)]:
                self.subdirs[posixpath.dirname(directory)].add(directory)
                directory = posixpath.dirname(directory)

    def nearest(self, path: str, names: tuple[str, ...]) -> str | None:
        """The closest project file among `names` in the directories above `path`."""
        directory = posixpath.dirname(path)
        while True:
            for name in names:
                candidate = posixpath.join(directory, name) if directory else name
                if candidate in self.project_files:
                    return candidate
            if not directory:
                return None
            directory = posixpath.dirname(directory)


def normalize_path(path: str) -> str | None:
    """Collapse ./ and ../; None if the path leaves the repository."""
    normalized = posixpath.normpath(path)
    if normalized.startswith("..") or normalized.startswith("/"):
        return None
    return "" if normalized == "." else normalized
