"""`--repos FILE`: one repository per line, a local path (relative to the file's folder)
or a git URL, then optionally the revision to read; blank lines and `#` comments are
skipped. A URL is cloned once (bare) into the cache folder given, and reused after."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from repomill.errors import UserError

_URL = re.compile(r"^(\w+://|git@)")
# a clone asks for nothing: no password, no ssh host-key question (unless the user set ssh)
_NO_PROMPTS = {"GIT_SSH_COMMAND": "ssh -o BatchMode=yes"}


@dataclass(frozen=True)
class RepoEntry:
    location: str  # as the file gives it
    path: Path  # the repository on this machine
    rev: str | None
    name: str  # unique among the entries: a folder name and the card's label


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
        location, rev = words[0], (words[1] if len(words) == 2 else None)
        name = _unique(re.sub(r"\.git$", "", location.rstrip("/").rsplit("/", 1)[-1]), names)
        if _URL.match(location):
            path = _clone(location, clones / name, f"{file}:{number}")
        else:
            path = (file.parent / location).resolve()
            if not path.is_dir():
                raise UserError(f"{file}:{number}: {location}: no such directory")
        entries.append(RepoEntry(location, path, rev, name))
    if not entries:
        raise UserError(f"--repos {file}: lists no repository")
    return entries


def _unique(name: str, taken: set[str]) -> str:
    name = re.sub(r"[^\w.-]", "_", name) or "repo"
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}-{n}", n + 1
    taken.add(candidate)
    return candidate


def _clone(url: str, target: Path, where: str) -> Path:
    if (target / "HEAD").is_file():
        return target  # cloned by an earlier run
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)  # what a killed run left
    done = subprocess.run(["git", "clone", "--quiet", "--bare", url, str(partial)],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          env=_NO_PROMPTS | os.environ | {"GIT_TERMINAL_PROMPT": "0"})  # fmt: skip
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["git clone failed"])[-1]
        raise UserError(f"{where}: cannot clone {url} ({last})")
    partial.rename(target)
    return target
