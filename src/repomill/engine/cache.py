"""The shard cache: one JSON file per finished shard, `<stage>/<key[:2]>/<key>.json`, in
a storage location (OUT/.cache by default; a shared folder or an object store's URL on a
cluster, so a re-run from another machine finds the finished shards). Each is written
whole or not at all, so a crash leaves either a whole shard or nothing."""

from __future__ import annotations

import json
from pathlib import Path

from repomill.engine.stage import ShardResult
from repomill.engine.storage import Storage, open_storage


class ShardCache:
    def __init__(self, location: str | Path | None):
        """`location` None disables caching (in-memory runs such as `repomill context`)."""
        self.storage: Storage | None = None if location is None else open_storage(location)

    @staticmethod
    def _key(stage: str, key: str) -> str:
        return f"{stage}/{key[:2]}/{key}.json"

    def has(self, stage: str, key: str) -> bool:
        return self.storage is not None and self.storage.exists(self._key(stage, key))

    def load(self, stage: str, key: str) -> ShardResult | None:
        if self.storage is None:
            return None
        data = self.storage.read(self._key(stage, key))
        if data is None:
            return None
        try:
            return ShardResult.from_json(json.loads(data))
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError):
            # A damaged entry is recomputed, never trusted.
            return None

    def store(self, stage: str, key: str, result: ShardResult) -> None:
        if self.storage is None:
            return
        # dumps, not dump: only dumps uses the C encoder (several times faster)
        text = json.dumps(result.to_json(), ensure_ascii=False, separators=(",", ":"))
        self.storage.write(self._key(stage, key), text.encode("utf-8"))
