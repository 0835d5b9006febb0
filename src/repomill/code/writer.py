"""Write the index as Parquet tables (zstd), atomically, with explicit schemas so the same
index always gives the same bytes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from repomill.code.repo_index import RepoIndex

_STR, _INT, _BOOL = pa.string(), pa.int64(), pa.bool_()

CHUNKS = pa.schema(
    [("chunk_id", _STR), ("path", _STR), ("language", _STR), ("kind", _STR), ("symbol", _STR),
     ("part", _INT), ("header", _STR), ("start_line", _INT), ("end_line", _INT),
     ("start_byte", _INT), ("end_byte", _INT), ("text", _STR), ("references", pa.list_(_STR))]
)  # fmt: skip
SYMBOLS = pa.schema(
    [("name", _STR), ("qualname", _STR), ("kind", _STR), ("path", _STR), ("language", _STR),
     ("start_line", _INT), ("end_line", _INT), ("start_byte", _INT), ("end_byte", _INT),
     ("signature", _STR), ("docstring", _STR), ("returns", _STR), ("parent", _STR),
     ("top_level", _BOOL), ("chunk_id", _STR)]
)  # fmt: skip
IMPORTS = pa.schema(
    [("path", _STR), ("line", _INT), ("statement", _STR), ("module", _STR),
     ("names", pa.list_(pa.list_(_STR))), ("alias", _STR), ("wildcard", _BOOL), ("level", _INT),
     ("resolved", pa.list_(_STR))]
)  # fmt: skip
FILES = pa.schema(
    [("path", _STR), ("language", _STR), ("blob", _STR), ("size", _INT), ("status", _STR),
     ("has_error", _BOOL)]
)  # fmt: skip


def write_table(path: Path, rows: list[dict[str, Any]], schema: pa.Schema) -> None:
    table = pa.Table.from_pylist([{k: row.get(k) for k in schema.names} for row in rows], schema)
    tmp = path.with_name(f".tmp-{path.name}")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


def write_index(out_dir: Path, index: RepoIndex, file_records: list[dict[str, Any]]) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    write_table(out_dir / "chunks.parquet", index.chunks, CHUNKS)
    write_table(out_dir / "symbols.parquet", index.symbols, SYMBOLS)
    imports = [{"path": path, **row} for path, rows in index.resolved.items() for row in rows]
    write_table(out_dir / "imports.parquet", imports, IMPORTS)
    write_table(out_dir / "files.parquet", file_records, FILES)
