"""The `mine_commits` stage: for each commit, the metadata filters, then the diff, then the
changed units of its source files. Pure per commit, so shards of commits run in parallel
and are cached; each worker parses a blob once (commit N's new blob is commit N+1's old).

Each commit gives a `MinedCommit` (mined.py), cached as its JSON: a rejection (`status` is
the reason) or a candidate example: cleaned message, units, every changed path (so the
revision index can follow), and the facts and symbol tables of the new blobs it parsed
(so the index need not parse them again)."""

from __future__ import annotations

from collections import Counter, OrderedDict
from dataclasses import dataclass
from typing import Any

import pygit2

from repomill.code.blob_index import FileFacts, index_blob
from repomill.code.incremental import IncrementalParser
from repomill.code.languages import language_for_path
from repomill.code.units import Side, Unit, changed_units
from repomill.engine.stage import ShardResult, Stage, process_local
from repomill.recipes.commits.messages import REWRITABLE, commit_reject_reason
from repomill.recipes.commits.mined import MinedCommit
from repomill.sources.entries import SourceSpec
from repomill.sources.files import source_repository
from repomill.sources.filters import blob_skip_reason, path_skip_reason
from repomill.sources.git_diff import FileChange, commit_changes
from repomill.sources.git_history import CommitMeta
from repomill.sources.git_objects import read_object
from repomill.sources.git_tree import MISSING_OBJECT
from repomill.sources.paths import UNSAFE_PATH

PARSED_BLOBS_KEPT = 256


@dataclass(frozen=True)
class MineCommitsStage(Stage):
    name = "mine_commits"
    # 3: a record is a MinedCommit's JSON, every field present; 4: its hints' imports
    # carry JS/TS export records and require() bindings; 5: message_issue; 6: generated
    # markers only in a file's leading comment block; 7: units carry their own old_path
    # ("" when new); old_file: the file's path at the parent; 8: a unit's code is whole
    # lines (its first line's indentation included); 9: a unit that only gains a final
    # newline is unchanged; module units' places; 10: Rust imports: `mod x;` and `extern
    # crate` bind a name, paths inside inline modules rebased; 11: hints name top-level
    # values (constants) too; 12: module units grow to the whole multi-line constant
    # their lines fall in; 13: a unit new to an existing file has the old line it goes
    # before as its old_start_line (a removed one, the new line it was before); 14: hints
    # carry CommonJS `module.exports = f` as a default export; 15: `tables`, the symbol
    # table of each new blob (so the history walk does not parse it a second time); 16:
    # hints carry CommonJS `module.exports = {a, b: c}` and `exports.b = c` exports
    version = 16
    # source: the repository read from; a commit id names its content (tree, parents and
    # message), so which copy of the repository is read does not change the records.
    cache_exclude = frozenset({"source"})

    source: SourceSpec
    max_files: int
    max_lines: int
    max_file_bytes: int
    max_chunk_bytes: int
    rewrite_messages: bool = False  # mine commits whose message says nothing (REWRITABLE)
    # (index of a blob with its source, or None; why it is not indexable, or None) by
    # language and blob id, and the parser that reuses a file's previous tree (tree-sitter
    # trees do not pickle; each process starts both empty).
    _parsed: OrderedDict[str, tuple[dict | None, str | None]] = process_local(OrderedDict)
    _parser: IncrementalParser = process_local(IncrementalParser)

    def item_key(self, item: dict[str, Any]) -> str:
        return item["sha"]  # a commit id names its content, parents and message included

    def process(self, items: list[dict[str, Any]]) -> ShardResult:
        records, skipped = [], Counter()
        for item in items:
            meta = CommitMeta.from_json(item)
            try:
                mined = self.mine(meta)
            except pygit2.GitError as exc:  # pygit2's errors do not pickle out of a worker
                reason = MISSING_OBJECT if isinstance(exc, KeyError) else "git_error"
                mined = MinedCommit.of(meta).reject(reason)
            if not mined.ok:
                skipped[mined.status] += 1
            records.append(mined.to_json())
        return ShardResult(records, skipped)

    def mine(self, meta: CommitMeta) -> MinedCommit:
        mined = MinedCommit.of(meta)
        reason = commit_reject_reason(meta, mined.message)
        if reason in REWRITABLE and self.rewrite_messages:
            mined.message_issue, reason = reason, None
        if reason is not None:
            return mined.reject(reason)
        repo = source_repository(self.source)
        unsafe: list[str] = []
        try:
            changes = commit_changes(repo, meta.parent, meta.sha, self._is_code_path, unsafe)
        except KeyError:  # a parent, tree or blob this repository does not have
            return mined.reject(MISSING_OBJECT)
        mined.unsafe_paths = unsafe
        if unsafe and not changes:
            return mined.reject(UNSAFE_PATH)
        mined.files = [[c.status, c.old_path, c.new_path, c.new_blob] for c in changes]
        code = [c for c in changes if self._is_code_path(c.path) and not c.mode_only]
        if len(changes) > self.max_files:
            return mined.reject("too_many_files")
        if sum(c.added + c.removed for c in code) > self.max_lines:
            return mined.reject("too_many_lines")
        self._mine_code(mined, changes, code)
        return mined

    def _mine_code(self, mined: MinedCommit, changes: list[FileChange],
                   code: list[FileChange]) -> None:  # fmt: skip
        """The units, hints and file skips of the code changes; the reason if no unit."""
        file_skips: Counter[str] = Counter()
        whitespace_only = 0
        for change in code:
            if change.binary:
                file_skips["binary"] += 1
                continue
            old, old_skip = self._parse(change.old_path, change.old_blob)
            new, new_skip = self._parse(change.new_path, change.new_blob)
            if new_skip or old_skip:
                file_skips[new_skip or old_skip] += 1
                continue
            if new is not None and new["source"]:
                mined.hints[change.new_blob] = FileFacts.of(new)
                mined.tables[change.new_blob] = new["symbols"]
            if old is not None and new is not None and _whitespace_only(old, new):
                whitespace_only += 1
                continue
            mined.units.extend(self._units(change, old, new))
        mined.file_skips = dict(file_skips + Counter({UNSAFE_PATH: len(mined.unsafe_paths)}))
        if not mined.units:
            mined.reject(self._empty_reason(changes, code, file_skips, whitespace_only))

    @staticmethod
    def _is_code_path(path: str) -> bool:
        return language_for_path(path) is not None and path_skip_reason(path) is None

    def _parse(self, path: str | None, blob: str | None) -> tuple[dict | None, str | None]:
        """(`index_file` of a blob with its `source`, or None; why it is not indexable, or
        None), remembered by language and blob id (a renamed file is the same blob)."""
        if path is None or blob is None:
            return None, None
        key = f"{language_for_path(path)}:{blob}"
        if key not in self._parsed:
            self._parsed[key] = self._parse_blob(
                path, read_object(source_repository(self.source), blob).data
            )
            while len(self._parsed) > PARSED_BLOBS_KEPT:
                self._parsed.popitem(last=False)
        self._parsed.move_to_end(key)
        return self._parsed[key]

    def _parse_blob(self, path: str, data: bytes) -> tuple[dict | None, str | None]:
        if not data:  # an empty file is a side with no code, not a skip
            return {"language": language_for_path(path), "symbols": [], "imports": [],
                    "source": data}, None  # fmt: skip
        # with chunks, as the revision index builds a symbol table (its chunk ids, texts
        # and signatures), so the table shipped in `tables` is the one it would build
        indexed = index_blob(path, data, self.max_file_bytes, self.max_chunk_bytes,
                             True, self._parser, chunk_references=False)  # fmt: skip
        if indexed is None:
            return None, blob_skip_reason(path, data, self.max_file_bytes) or "unindexable"
        return {**indexed, "chunks": [], "source": data}, None

    def _units(self, change: FileChange, old, new) -> list[dict[str, Any]]:
        language = (new or old)["language"]
        found: list[Unit] = changed_units(
            change.old_path,
            change.new_path,
            Side(old["source"], old["symbols"]) if old else None,
            Side(new["source"], new["symbols"]) if new else None,
            change.hunks or [],
        )
        return [{**unit.to_json(), "old_file": change.old_path or "", "language": language}
                for unit in found]  # fmt: skip

    @staticmethod
    def _empty_reason(changes, code, file_skips, whitespace_only) -> str:
        if not changes:  # empty, or only symlinks and submodules
            return "no_code_changes"
        if whitespace_only and whitespace_only + sum(file_skips.values()) == len(code):
            return "whitespace_only"
        skipped = file_skips or any(path_skip_reason(c.path) for c in changes)
        if len(code) == sum(file_skips.values()) and skipped:
            return "only_generated_vendored_or_binary"
        return "no_code_changes" if not code else "no_changed_units"


def _whitespace_only(old: dict, new: dict) -> bool:
    """Whether the two sources differ only in ASCII whitespace (split() is 10× a regex)."""
    return b"".join(old["source"].split()) == b"".join(new["source"].split())
