"""Content-defined sharding: shard boundaries depend on the items themselves, not on their
positions, so adding or removing one file changes one shard's key and leaves the others cached."""

from collections.abc import Callable, Iterable
from typing import TypeVar

from repomill.engine.keys import stable_hash

T = TypeVar("T")


def content_defined_shards(
    items: Iterable[T],
    boundary_key: Callable[[T], str],
    average: int = 16,
    maximum: int = 64,
) -> list[list[T]]:
    """Split an ordered sequence into shards. A shard ends after an item whose boundary key
    hashes to 0 modulo `average` (about `average` items per shard), or at `maximum` items."""
    shards: list[list[T]] = []
    current: list[T] = []
    for item in items:
        current.append(item)
        hashed = int(stable_hash(boundary_key(item), size=8), 16)
        if hashed % average == 0 or len(current) >= maximum:
            shards.append(current)
            current = []
    if current:
        shards.append(current)
    return shards
