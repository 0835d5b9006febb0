"""The completion cache: SQLite in the output's cache directory, keyed by a hash of the
backend, the model, the request and the sample index. A re-run, or a resume after a crash,
answers from it without calling the model. WAL mode and short transactions make
concurrent writers (several processes on one output) safe; failures are not cached, so a
re-run retries them."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from repomill.engine.keys import canonical_json, stable_hash
from repomill.llm.types import Request, Result


def cache_key(backend: str, model: str, request: Request, sample: int) -> str:
    return stable_hash(backend, model, canonical_json(request.key_fields(sample)))


class CompletionCache:
    def __init__(self, path: Path | None):
        """`path` None keeps nothing (every call goes to the model)."""
        self.path = path
        self._db: sqlite3.Connection | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=30, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS completions (key TEXT PRIMARY KEY, result TEXT)"
            )

    def get(self, key: str) -> Result | None:
        if self._db is None:
            return None
        row = self._db.execute("SELECT result FROM completions WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        return Result(**json.loads(row[0]), cached=True)

    def put(self, key: str, result: Result) -> None:
        if self._db is None or not result.ok:
            return
        self._db.execute(
            "INSERT OR REPLACE INTO completions (key, result) VALUES (?, ?)",
            (key, json.dumps(result.to_json(), ensure_ascii=False)),
        )

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
