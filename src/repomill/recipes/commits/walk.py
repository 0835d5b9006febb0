"""The order the commit recipe visits commits in, and the revision index that follows it:
kept at each commit's parent, so context comes from the code as it was before the change."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from repomill.code.build import build_index
from repomill.code.revision_index import RevisionIndex
from repomill.code.settings import IndexConfig
from repomill.engine.cache import ShardCache
from repomill.engine.executors import Executor
from repomill.engine.runner import StageRun
from repomill.recipes.commits.mined import MinedCommit
from repomill.sources.entries import SourceSpec
from repomill.sources.git_history import CommitMeta


def chain_order(metas: list[CommitMeta]) -> list[CommitMeta]:
    """Commits depth first from the oldest, each right after its parent where it can be,
    so the revision index mostly steps forward by one commit's own changes; time order
    would hop between branches, a tree diff at every hop. Among a commit's children the
    branch commits go before merges: a mainline of merges is a long path, and walking it
    before the branches that fork from its start would mean jumping far back afterwards."""
    listed = {m.sha for m in metas}
    children: dict[str, list[CommitMeta]] = defaultdict(list)
    roots: list[CommitMeta] = []
    for meta in sorted(metas, key=lambda m: (len(m.parents) > 1, m.time, m.sha)):
        parent = next((p for p in meta.parents if p in listed), None)
        (children[parent] if parent else roots).append(meta)
    ordered: list[CommitMeta] = []
    stack = list(reversed(roots))
    while stack:
        meta = stack.pop()
        ordered.append(meta)
        stack.extend(reversed(children.get(meta.sha, ())))
    return ordered


class HistoryWalk:
    """The revision index, built at the first commit that needs it and then moved from
    parent to parent: by the commit's own file list when the next commit is its child,
    by a tree diff otherwise."""

    def __init__(self, source: SourceSpec, index_config: IndexConfig, shards: ShardCache,
                 progress: bool, executor: Executor):  # fmt: skip
        self.source = source
        self.index_config = index_config
        self.shards = shards
        self.progress = progress
        self.executor = executor  # the run's pool, for the index built at the first parent
        self.index = RevisionIndex(source.root, index_config.max_file_bytes,
                                   index_config.max_chunk_bytes)  # fmt: skip
        self.started = False
        self.index_run: StageRun | None = None

    def at(self, parent: str | None) -> RevisionIndex:
        if not self.started:
            self.started = True
            if parent is not None:
                spec = replace(self.source, commit=parent)
                built = build_index(spec, self.index_config, None, "build", self.progress,
                                    self.executor, self.shards)  # fmt: skip
                self.index_run = built.manifest.stages["index_files"]
                self.index.load(parent, built.file_records,
                                built.index.resolver.layout.project_files)  # fmt: skip
        self.index.move_to(parent)
        return self.index

    def learn(self, batch: list[MinedCommit]) -> None:
        """Keep what mining learnt of the blobs a batch of commits created: a tree diff
        that jumps to another branch (or ahead) meets them before their commits' turn."""
        for mined in batch:
            self.index.remember(mined.hints, mined.tables)

    def passed(self, mined: MinedCommit) -> None:
        """The example of `mined` is built: step the index onto its commit when it stands
        at its parent."""
        if self.started and self.index.commit == mined.parent:
            self.index.advance(mined.sha, mined.files, mined.hints)
