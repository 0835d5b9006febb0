"""Test helpers: small git repositories built at test time."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "HOME": "/nonexistent",
}


def git(repo: Path, *args: str, env_extra: dict[str, str] | None = None) -> str:
    env = {**os.environ, **GIT_ENV, **(env_extra or {})}
    done = subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)
    return done.stdout.decode().strip()


def write_files(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def make_repo(root: Path, files: dict[str, str | bytes], message: str = "initial") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    return commit(root, files, message)


def commit(
    root: Path,
    files: dict[str, str | bytes | None],
    message: str,
    when: int | None = None,
    author: str | None = None,
) -> Path:
    """Write (or, for None, delete) files and commit them all; `when` in epoch seconds."""
    write_files(root, {k: v for k, v in files.items() if v is not None})
    for rel in (k for k, v in files.items() if v is None):
        (root / rel).unlink()
    git(root, "add", "-A")
    env = {}
    if when is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"{when} +0000"
    if author is not None:
        env["GIT_AUTHOR_NAME"], env["GIT_AUTHOR_EMAIL"] = author, f"{author}@example.com"
    git(root, "commit", "-q", "--allow-empty", "-m", message, env_extra=env)
    return root


@pytest.fixture
def repo_factory(tmp_path: Path):
    counter = iter(range(1000))

    def factory(files: dict[str, str | bytes], message: str = "initial") -> Path:
        return make_repo(tmp_path / f"repo{next(counter)}", files, message)

    return factory
