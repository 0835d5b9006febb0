"""The code index of a git repository at one revision, moved through history by applying
only what changed between two revisions (a tree diff), never by re-indexing everything.

Per file it keeps just the names it defines and its imports; full symbol tables are built on
demand for the files context actually reads (or handed over by the commit miner, which
parsed the blob already), and kept in a bounded cache keyed by blob id, so memory depends
on the repository's size, not on how many commits are walked."""

from __future__ import annotations

import posixpath
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from typing import Any

import pygit2
from pygit2.enums import DeltaStatus

from repomill.code.blob_index import FileFacts, blob_facts, index_blob
from repomill.code.incremental import IncrementalParser
from repomill.code.languages import language_for_path
from repomill.code.repo_index import Visibility, resolve_imports, visibility_at
from repomill.code.resolve import (
    MAX_PROJECT_FILE_BYTES,
    PROJECT_FILES,
    ImportResolver,
    RepoLayout,
)
from repomill.sources.files import git_repository
from repomill.sources.git_diff import is_regular
from repomill.sources.git_objects import read_object
from repomill.sources.git_tree import MISSING_OBJECT
from repomill.sources.paths import is_safe_path

CACHED_RESOLVERS = 8


@dataclass
class SymbolTable:
    symbols: list[dict[str, Any]]
    members: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    by_name: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for symbol in self.symbols:
            self.by_name.setdefault(symbol["name"], []).append(symbol)
            if symbol["parent"]:
                self.members.setdefault(symbol["parent"], []).append(symbol)


class RevisionIndex:
    def __init__(
        self,
        root: str,
        max_file_bytes: int,
        max_chunk_bytes: int,
        cached_tables: int = 2048,
        cached_facts: int = 16384,
    ):
        self.repo = git_repository(root)
        self.max_file_bytes = max_file_bytes
        self.max_chunk_bytes = max_chunk_bytes
        self.commit: str | None = None
        self.files: dict[str, tuple[str, str]] = {}  # indexed path -> (blob, language)
        self.facts: dict[str, FileFacts] = {}
        self.listed: set[str] = set()  # every source-language path, indexed or not
        self.project_files: dict[str, str] = {}
        self.packages: dict[str, str] = {}
        self.name_paths: dict[str, Counter[str]] = {}
        self.name_totals: Counter[str] = Counter()
        self._tables: OrderedDict[str, SymbolTable] = OrderedDict()
        self._cached_tables = cached_tables
        # Facts by blob id (None: not indexable): walks through branches meet the same
        # blobs again and again.
        self._blob_facts: OrderedDict[str, FileFacts | None] = OrderedDict()
        self._cached_facts = cached_facts
        self._resolver: ImportResolver | None = None
        self._resolvers: OrderedDict[tuple, tuple[ImportResolver, dict]] = OrderedDict()
        self._visibility: dict[str, tuple[str, Visibility]] = {}
        self._parser = IncrementalParser()
        self.moves = 0  # file changes applied, and tree diffs needed (for the manifest)
        self.tree_diffs = 0
        self.missing_objects = 0  # blobs it could not read: those files are left out

    # -- moving through history ------------------------------------------------------

    def load(self, commit: str, file_records: list[dict[str, Any]],
             project_files: dict[str, str]) -> None:  # fmt: skip
        """Start at `commit` from a whole-repository index built there (`build_index`)."""
        self.commit = commit
        for record in file_records:
            if record.get("language"):
                self.listed.add(record["path"])
            if record.get("status") == MISSING_OBJECT:
                self.missing_objects += 1
            if record.get("status") == "indexed":
                facts = FileFacts.of(record)
                self._add_indexed(record["path"], record["blob"], record["language"], facts)
                self._remember(record["blob"], SymbolTable(record["symbols"]))
        self.project_files = dict(project_files)

    def move_to(self, commit: str | None, hints: dict[str, FileFacts] | None = None) -> None:
        """Apply the difference between the current revision and `commit`. `hints` maps a
        blob id to its facts when the caller already parsed it."""
        if commit == self.commit:
            return
        old = self.repo[self.commit].peel(pygit2.Tree) if self.commit else None
        new = self.repo[commit].peel(pygit2.Tree) if commit else None
        if old is None and new is None:
            return
        self.tree_diffs += 1
        if old is None:
            diff = new.diff_to_tree(swap=True)
        elif new is None:
            diff = old.diff_to_tree()
        else:
            diff = old.diff_to_tree(new)
        for delta in diff.deltas:
            new_file = delta.new_file
            kept = (delta.status != DeltaStatus.DELETED and is_regular(new_file)
                    and is_safe_path(new_file.path))  # fmt: skip
            if delta.status != DeltaStatus.ADDED:
                self._remove(delta.old_file.path, kept and new_file.path == delta.old_file.path)
            if kept:
                self._add(new_file.path, str(new_file.id), hints or {})
        self.commit = commit

    def advance(self, commit: str, files: list[list], hints: dict[str, FileFacts]) -> None:
        """Apply a commit's own file changes ([status, old_path, new_path, new_blob], as
        `mine_commits` lists them) when the index stands at its parent: no tree diff."""
        for status, old_path, new_path, new_blob in files:
            if old_path is not None:
                self._remove(old_path, status != "D" and new_path == old_path)
            if new_path is not None and status != "D":
                self._add(new_path, new_blob, hints)
        self.commit = commit

    def _remove(self, path: str, replaced: bool = False) -> None:
        """Take `path` out; `replaced`: a new version of it is added right after, which
        swaps its facts in (`_add`), so the layout (which paths exist) stays and with it
        the resolver and what files see."""
        self.moves += 1
        if replaced:
            return
        self._unindex(path)
        if path in self.listed or path in self.project_files or path in self.packages:
            self.listed.discard(path)
            self.project_files.pop(path, None)
            self.packages.pop(path, None)
            self._resolver = None

    def _unindex(self, path: str) -> None:
        if path in self.files:
            for name in self.facts.pop(path).names:
                self._count_name(name, path, -1)
            del self.files[path]
            self._visibility.pop(path, None)

    def _add(self, path: str, blob: str, hints: dict[str, FileFacts]) -> None:
        language = language_for_path(path)
        if posixpath.basename(path) in PROJECT_FILES:
            obj = self._blob(blob)
            small = obj is not None and obj.size <= MAX_PROJECT_FILE_BYTES
            text = obj.data.decode("utf-8", errors="replace") if small else None
            if self.project_files.get(path) != text:
                if text is None:
                    del self.project_files[path]
                else:
                    self.project_files[path] = text
                self._resolver = None
        if language is None:
            return
        if path not in self.listed:
            self.listed.add(path)
            self._resolver = None
        facts = self._facts(path, blob, hints)
        if facts is not None:
            self._add_indexed(path, blob, language, facts)
            return
        self._unindex(path)  # its new version is not indexable
        if self.packages.pop(path, None) is not None:
            self._resolver = None

    def remember(self, hints: dict[str, FileFacts],
                 tables: dict[str, list[dict[str, Any]]]) -> None:  # fmt: skip
        """Keep facts and symbol tables computed elsewhere (by `mine_commits`): a walk that
        jumps between branches meets the blobs other branches' commits created, and context
        reads the files commits just changed."""
        for blob, facts in hints.items():
            self._keep_facts(blob, facts)
        for blob, symbols in tables.items():
            self._remember(blob, SymbolTable(symbols))

    def _keep_facts(self, blob: str, facts: FileFacts | None) -> None:
        self._blob_facts[blob] = facts
        self._blob_facts.move_to_end(blob)
        while len(self._blob_facts) > self._cached_facts:
            self._blob_facts.popitem(last=False)

    def _facts(self, path: str, blob: str, hints: dict[str, FileFacts]) -> FileFacts | None:
        if blob in self._blob_facts:
            self._blob_facts.move_to_end(blob)
            return self._blob_facts[blob]
        if blob in hints:
            facts = hints[blob]
        elif (obj := self._blob(blob)) is None:
            facts = None
        else:
            facts = blob_facts(path, obj.data, self.max_file_bytes, self.max_chunk_bytes,
                               self._parser)  # fmt: skip
        self._keep_facts(blob, facts)
        return facts

    def _blob(self, blob: str) -> pygit2.Blob | None:
        try:
            return read_object(self.repo, blob)
        except KeyError:  # not in this repository, or corrupt (a broken or partial clone)
            self.missing_objects += 1
            return None

    def _add_indexed(self, path: str, blob: str, language: str, facts: FileFacts) -> None:
        """Index `path` with `facts`, in place of the version indexed now if there is one
        (only the names that changed are counted again: most edits keep them all)."""
        self.files[path] = (blob, language)
        before = self.facts.get(path)
        self.facts[path] = facts
        if before is None or before.names != facts.names:
            steps = Counter(facts.names)
            steps.subtract(Counter(before.names) if before else Counter())
            for name, step in steps.items():
                if step:
                    self._count_name(name, path, step)
        package = next((r["module"] for r in facts.imports if r["alias"] == "package"), None)
        if self.packages.get(path) != package:
            if package is None:
                self.packages.pop(path, None)
            else:
                self.packages[path] = package
            self._resolver = None

    def _count_name(self, name: str, path: str, step: int) -> None:
        paths = self.name_paths.setdefault(name, Counter())
        paths[path] += step
        if paths[path] <= 0:
            del paths[path]
        self.name_totals[name] += step

    # -- symbol tables, cached by blob ---------------------------------------------

    def _remember(self, blob: str, table: SymbolTable) -> SymbolTable:
        self._tables[blob] = table
        self._tables.move_to_end(blob)
        while len(self._tables) > self._cached_tables:
            self._tables.popitem(last=False)
        return table

    def _table(self, path: str) -> SymbolTable | None:
        if path not in self.files:
            return None
        blob, _ = self.files[path]
        table = self._tables.get(blob)
        # symbols name their path: a copy of the blob elsewhere has a table of its own
        if table is not None and (not table.symbols or table.symbols[0]["path"] == path):
            self._tables.move_to_end(blob)
            return table
        obj = self._blob(blob)
        indexed = None if obj is None else index_blob(path, obj.data, self.max_file_bytes,
                                                      self.max_chunk_bytes, True, self._parser,
                                                      chunk_references=False)  # fmt: skip
        return self._remember(blob, SymbolTable(indexed["symbols"] if indexed else []))

    # -- the SymbolLookup protocol of code/context.py ----------------------------------

    def visible_from(self, path: str, imports: list[dict[str, Any]] | None = None
                     ) -> Visibility | None:  # fmt: skip
        if self._resolver is None:
            self._resolver, self._visibility = self._layout_resolver()
        if imports is not None:
            return visibility_at(self._resolver, path, imports)
        if path not in self.files:
            return None
        blob, language = self.files[path]
        cached = self._visibility.get(path)
        if cached is not None and cached[0] == blob:
            return cached[1]
        _, seen = resolve_imports(self._resolver, path, language, self.facts[path].imports)
        self._visibility[path] = (blob, seen)
        return seen

    def _layout_resolver(self) -> tuple[ImportResolver, dict[str, tuple[str, Visibility]]]:
        """The resolver for the current layout, and what files see under it (by path: the
        blob it was for, and what that version sees); walks across branches return to
        earlier layouts often, and building a resolver costs a pass over every file."""
        key = (frozenset(self.listed), frozenset(self.project_files.items()),
               frozenset(self.packages.items()))  # fmt: skip
        cached = self._resolvers.get(key)
        if cached is None:
            layout = RepoLayout(set(self.listed), dict(self.project_files), dict(self.packages))
            cached = self._resolvers[key] = (ImportResolver(layout), {})
            while len(self._resolvers) > CACHED_RESOLVERS:
                self._resolvers.popitem(last=False)
        self._resolvers.move_to_end(key)
        return cached

    def defined_in(self, path: str, name: str) -> list[dict[str, Any]]:
        if name not in self.name_paths or path not in self.name_paths[name]:
            return []  # answered from the name counts, without building a table
        table = self._table(path)
        return table.by_name.get(name, []) if table else []

    def members_of(self, path: str, qualname: str) -> list[dict[str, Any]]:
        table = self._table(path)
        return table.members.get(qualname, []) if table else []

    def files_defining(self, name: str) -> list[str]:
        return sorted(self.name_paths.get(name, ()))

    def unique_elsewhere(self, name: str, path: str) -> dict[str, Any] | None:
        paths = self.name_paths.get(name)
        if not paths or self.name_totals[name] - paths.get(path, 0) != 1:
            return None
        other = next(p for p in paths if p != path)
        return next(iter(self.defined_in(other, name)), None)

    def imports_of(self, path: str) -> list[dict[str, Any]]:
        facts = self.facts.get(path)
        return facts.imports if facts else []
