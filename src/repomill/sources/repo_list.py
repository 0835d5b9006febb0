"""`--repos FILE`: one repository per line, a local path (relative to the file's folder)
or a git URL, then optionally the revision to read; blank lines and `#` comments are
skipped. A URL is cloned once (bare) into the cache folder given, and reused after."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from repomill.errors import UserError
from repomill.sources.clones import clone_bare
from repomill.sources.entries import SourceSpec
from repomill.sources.files import open_source

URL = re.compile(r"^(\w+://|git@)")


@dataclass(frozen=True)
class RepoEntry:
    location: str  # as the file gives it
    path: Path  # the repository on this machine
    rev: str | None
    name: str  # unique among the entries: a folder name and the card's label

    @property
    def url(self) -> str | None:
        """What a worker machine clones when it does not see `path`."""
        return self.location if URL.match(self.location) else None

    def source(self) -> SourceSpec:
        return replace(open_source(self.path, self.rev), url=self.url)


def read_repo_list(file: Path, clones: Path) -> list[RepoEntry]:
    """The entries of `file`, URLs cloned under `clones`; a one-line error naming the
    line for a path that is missing, a clone that fails, or a file that lists none."""
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"--repos {file}: cannot read it ({exc})") from None
    entries: list[RepoEntry] = []
    names: set[str] = set()
    for number, line in enumerate(lines, 1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if len(words) > 2:
            raise UserError(f"{file}:{number}: expected a path or URL, then a revision at most")
        rev = words[1] if len(words) == 2 else None
        entries.append(repo_entry(words[0], rev, file.parent, clones, names, f"{file}:{number}"))
    if not entries:
        raise UserError(f"--repos {file}: lists no repository")
    return entries


def repo_entry(location: str, rev: str | None, base: Path, clones: Path, names: set[str],
               where: str) -> RepoEntry:  # fmt: skip
    """A path (relative to `base`) or a URL (cloned under `clones`), named apart from
    `names`; errors start with `where`."""
    name = _unique(re.sub(r"\.git$", "", location.rstrip("/").rsplit("/", 1)[-1]), names)
    if URL.match(location):
        return RepoEntry(location, clone_bare(location, clones / name, where), rev, name)
    path = (base / location).resolve()
    if not path.is_dir():
        raise UserError(f"{where}: {location}: no such directory")
    return RepoEntry(location, path, rev, name)


def _unique(name: str, taken: set[str]) -> str:
    name = re.sub(r"[^\w.-]", "_", name) or "repo"
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}-{n}", n + 1
    taken.add(candidate)
    return candidate
