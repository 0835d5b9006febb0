"""The `index_files` stage: read each file of a shard, skip what is not indexable (with a
reason) and index the rest."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from repomill.code.file_index import index_file
from repomill.engine.stage import ShardResult, Stage
from repomill.sources.directory import UNREADABLE
from repomill.sources.entries import FileEntry, SourceSpec
from repomill.sources.files import read_entry
from repomill.sources.filters import content_skip_reason


@dataclass(frozen=True)
class IndexFilesStage(Stage):
    name = "index_files"
    # 2: JS/TS export records (EXPORT) and require() bindings among the imports; 3:
    # generated markers are looked for in the leading comment block only; 4: a small
    # type's text is whole lines (a nested one's first line keeps its indentation); 5: Rust
    # `mod x;` and `extern crate` bind a name, paths inside inline modules rebased; 6:
    # top-level named values are symbols (kind "constant"); 7: symbols say the class a
    # function returns as written (`returns`); 8: CommonJS `exports.f = function…` are
    # definitions, `module.exports = f` a default export; 9: Go functions' `returns`; 10:
    # CommonJS `module.exports = {a, b: c}` and `exports.b = c` export records
    version = 10
    # source: where the files are read from; each item names its content (path and git
    # blob id, or size and mtime in a plain directory), so the records do not depend on it.
    cache_exclude = frozenset({"source"})

    source: SourceSpec
    max_chunk_bytes: int

    def item_key(self, item: tuple[FileEntry, str]) -> str:
        entry, language = item
        return f"{entry.path}\0{entry.blob}\0{language}"

    def process(self, items: list[tuple[FileEntry, str]]) -> ShardResult:
        records: list[dict[str, Any]] = []
        skipped: Counter[str] = Counter()
        for entry, language in items:
            record = {"path": entry.path, "language": language, "blob": entry.blob,
                      "size": entry.size}  # fmt: skip
            try:
                data = read_entry(self.source, entry)
            except OSError:  # vanished or unreadable since it was listed
                reason = UNREADABLE
            else:
                reason = content_skip_reason(data, entry.path)
            if reason is not None:
                skipped[reason] += 1
                records.append({**record, "status": reason})
                continue
            indexed = index_file(entry.path, language, data, self.max_chunk_bytes)
            records.append({**record, "status": "indexed", **indexed})
        return ShardResult(records, skipped)
