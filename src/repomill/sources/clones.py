"""Bare clones of git URLs: the driver's, made once into the build's cache, and each
worker machine's own, for a cluster whose nodes do not see the driver's disk.

A worker reads the repository at the driver's path where its machine has that path (a
local build, or storage every node mounts at the same place); otherwise it clones the
source's URL once into its machine's cache and fetches when the commit it needs is not
there yet. The commit id names the content, so which copy is read does not change a
record."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import pygit2

from repomill.errors import UserError

# a clone asks for nothing: no password, no ssh host-key question (unless ssh is set up)
_QUIET = {"GIT_SSH_COMMAND": "ssh -o BatchMode=yes"}


def clone_bare(url: str, target: Path, where: str) -> Path:
    """`target`, a bare clone of `url`, made now unless an earlier run made it; a one-line
    error starting with `where` when git cannot clone it."""
    if (target / "HEAD").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)  # what a killed run left
    _git(["clone", "--quiet", "--bare", url, str(partial)], f"{where}: cannot clone {url}")
    partial.rename(target)
    return target


def readable_root(root: str, url: str | None, commit: str | None) -> str:
    """Where this process reads the repository: `root` if this machine has it (or the
    source has no URL), else this machine's clone of `url`, holding `commit`."""
    if url is None or Path(root).is_dir():
        return root
    return _worker_clone(url, commit)


def clones_dir() -> Path:
    """A worker machine's clones: $REPOMILL_CLONES, else the user's cache."""
    if "REPOMILL_CLONES" in os.environ:
        return Path(os.environ["REPOMILL_CLONES"]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "repomill" / "clones"


@lru_cache(maxsize=64)
def _worker_clone(url: str, commit: str | None) -> str:
    name = url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git") or "repo"
    target = clones_dir() / f"{name}-{hashlib.sha256(url.encode()).hexdigest()[:12]}.git"
    with _locked(target.with_name(target.name + ".lock")):  # the machine's other workers
        clone_bare(url, target, "worker")
        if commit is not None and not _has(target, commit):
            _git(["--git-dir", str(target), "fetch", "--quiet", "origin", "+refs/*:refs/*"],
                 f"worker: cannot fetch {url}")  # fmt: skip
            if not _has(target, commit):
                raise UserError(f"worker: {url} has no commit {commit}")
    return str(target)


def _has(repo: Path, commit: str) -> bool:
    try:
        return pygit2.Repository(str(repo)).get(commit) is not None
    except ValueError:  # not a full commit id
        return False


@contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _git(args: list[str], error: str) -> None:
    done = subprocess.run(["git", *args], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL,
                          env=_QUIET | os.environ | {"GIT_TERMINAL_PROMPT": "0"})  # fmt: skip
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["git failed"])[-1]
        raise UserError(f"{error} ({last})")
