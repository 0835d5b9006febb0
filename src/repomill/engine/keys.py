"""Stable content hashes used for cache keys, shard boundaries and record ids."""

import hashlib
import json
from typing import Any


def stable_hash(*parts: str | bytes, size: int = 16) -> str:
    """Hex digest over the parts, each length-prefixed so ("ab", "c") != ("a", "bc")."""
    h = hashlib.blake2b(digest_size=size)
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace: the same value always gives the same text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
