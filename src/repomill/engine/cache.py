"""The shard cache: one JSON file per finished shard under OUT/.cache/<stage>/, written
atomically (temp file + rename), so a crash leaves either a whole shard or nothing."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from repomill.engine.stage import ShardResult


class ShardCache:
    def __init__(self, root: Path | None):
        """`root` None disables caching (in-memory runs such as `repomill context`)."""
        self.root = root

    def _path(self, stage: str, key: str) -> Path:
        assert self.root is not None
        return self.root / stage / key[:2] / f"{key}.json"

    def has(self, stage: str, key: str) -> bool:
        return self.root is not None and self._path(stage, key).is_file()

    def load(self, stage: str, key: str) -> ShardResult | None:
        if self.root is None:
            return None
        path = self._path(stage, key)
        try:
            with path.open("r", encoding="utf-8") as fh:
                return ShardResult.from_json(json.load(fh))
        except FileNotFoundError:
            return None
        except (json.JSONDecodeError, KeyError, TypeError):
            # A damaged entry is recomputed, never trusted.
            return None

    def store(self, stage: str, key: str, result: ShardResult) -> None:
        if self.root is None:
            return
        path = self._path(stage, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                # dumps, not dump: only dumps uses the C encoder (several times faster)
                fh.write(json.dumps(result.to_json(), ensure_ascii=False, separators=(",", ":")))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
