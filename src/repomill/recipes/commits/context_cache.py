"""The context of each example, kept across runs in OUT/.cache/context.sqlite.

An example's context depends only on its commit, what mining made of the commit (the
`mine_commits` settings and version) and the code index's rules, not on the budget, the
target format, the tokenizer or the instruction. So a re-run with other such settings, or
a resume after a crash, moves the history walk's index only for commits it has not seen,
and writes the same rows."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from repomill.code.context import ContextItem, SymbolLookup
from repomill.code.index_stage import IndexFilesStage
from repomill.engine.keys import canonical_json, stable_hash
from repomill.engine.store import TextStore
from repomill.recipes.commits.examples import GroupContext, group_context
from repomill.recipes.commits.mine import MineCommitsStage
from repomill.recipes.commits.mined import MinedCommit

# Bump whenever context selection (code/context.py, code/uses.py, the resolvers, the
# revision index) gives another result for the same commit; the index's and the miner's
# own versions are part of the key already. 2: a Python name means its last definition
# in a scope (no `@overload` stubs); 3: pytest fixtures, `import a.b` binds `a`; 4:
# members through the class a fixture or a call returns; 5: Go methods of a typed receiver
# or parameter, in any file of the type's package; 6: Go test files see their package's
# test helpers, `x := &T{…}` and `var x T` give x its type; 7: CommonJS exports; 8:
# chains from a typed value through what its methods return (Go, Python); 9: CommonJS
# exports of names (`module.exports = {a, b: c}`, `exports.b = c`).
CONTEXT_VERSION = 9


class ContextCache:
    def __init__(self, path: Path | None, mining: MineCommitsStage):
        """`path` None keeps nothing (every context is computed)."""
        self._stamp = stable_hash("context", str(CONTEXT_VERSION), mining.name,
                                  str(mining.version), canonical_json(mining.config()),
                                  str(IndexFilesStage.version))  # fmt: skip
        self._store = TextStore(path, "contexts", "context cache", "computing context")
        self.hits = self.computed = 0

    def of(self, commit: MinedCommit, key: str, units: list[dict[str, Any]],
           index_at_parent: Callable[[], SymbolLookup]) -> GroupContext:  # fmt: skip
        """The context of the example `key` of `commit` (of `units`): from the cache, or
        from the index at the commit's parent (then kept)."""
        cache_key = stable_hash(self._stamp, commit.sha, key)
        text = self._store.get(cache_key)
        if text is not None and (found := _decode(text)) is not None:
            self.hits += 1
            return found
        found = group_context(index_at_parent(), commit, units)
        self._store.put(cache_key, json.dumps(_encode(found), ensure_ascii=False,
                                              separators=(",", ":")))  # fmt: skip
        self.computed += 1
        return found

    def close(self) -> None:
        self._store.close()


def _encode(context: GroupContext) -> dict[str, Any]:
    return {"items": [dataclasses.asdict(item) for item in context.items],
            "imports": context.imports}  # fmt: skip


def _decode(text: str) -> GroupContext | None:
    try:
        data = json.loads(text)
        return GroupContext([ContextItem(**item) for item in data["items"]], data["imports"])
    except (ValueError, TypeError, KeyError):  # another version's shape: computed again
        return None
