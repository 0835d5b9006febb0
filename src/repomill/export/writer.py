"""Write a dataset in the Hugging Face datasets layout. Rows stream into a spill file while
the recipe runs (memory stays flat); at the end they are cut into time splits and routed
into OUT/dataset/data/{split}-00000-of-00001.parquet (zstd) or `.jsonl`. The writer is a
plain sink: what reaches it has passed every step already, and the runner decides what to
leave out."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from repomill.export.read import DATASET_DIR
from repomill.export.schema import REJECTED, SPLITS
from repomill.export.splits import time_split_bounds

BATCH_ROWS = 256
NOWHERE = ""  # the route of a row that is not written


class DatasetWriter:
    def __init__(self, out: Path, schema: pa.Schema, fmt: str = "parquet"):
        self.out = out
        self.schema = schema
        self.format = fmt
        self.work = out / ".work"
        self.work.mkdir(parents=True, exist_ok=True)
        self._spill_path = self.work / "samples.parquet"
        self._spill = pq.ParquetWriter(self._spill_path, schema, compression="zstd")
        self._buffer: list[dict[str, Any]] = []
        self.keys: list[tuple[int, str]] = []  # (time, group) of each spilled row
        self.ids: list[tuple[str, str]] = []  # (id, recipe) of each spilled row

    def add(self, row: dict[str, Any], time: int, group: str) -> None:
        """Rows may come in any order; the splits are cut by (time, group), and a group
        never spans two splits."""
        self._buffer.append(row)
        self.keys.append((time, group))
        self.ids.append((row["id"], row["recipe"]))
        if len(self._buffer) >= BATCH_ROWS:
            self._flush()

    def _flush(self) -> None:
        if self._buffer:
            self._spill.write_table(pa.Table.from_pylist(self._buffer, self.schema))
            self._buffer = []

    def cut(self, validation: float, test: float) -> list[str]:
        """The split of each row, in the order they were added."""
        ordered = sorted(self.keys)
        bounds = time_split_bounds([k[0] for k in ordered], [k[1] for k in ordered],
                                   validation, test)  # fmt: skip
        firsts = [ordered[start] if start < len(ordered) else None
                  for start, _ in bounds.values()]  # fmt: skip
        return [_split_of(key, firsts) for key in self.keys]

    def write(self, routes: list[str]) -> dict[str, int]:
        """Write each row to the split `routes` names (NOWHERE: not at all); returns rows
        per split. Empty splits are not written, and with no rows at all there is no
        data/: a folder that `load_dataset` cannot read is worse than none."""
        self._flush()
        self._spill.close()
        data = self.out / DATASET_DIR / "data"
        for stale in (data, self.out / "data"):  # this layout's, and an older build's
            if stale.exists():
                shutil.rmtree(stale)
        counts = {split: routes.count(split) for split in SPLITS}
        if any(counts.values()):
            data.mkdir(parents=True)
        sinks = {split: self._sink(data, split) for split in SPLITS if counts[split]}
        offset = 0
        for batch in pq.ParquetFile(self._spill_path).iter_batches(batch_size=BATCH_ROWS):
            batch_routes = routes[offset : offset + batch.num_rows]
            for split, sink in sinks.items():
                rows = [i for i, route in enumerate(batch_routes) if route == split]
                if rows:
                    sink.write(batch.take(rows))
            offset += batch.num_rows
        for sink in sinks.values():
            sink.close()
        shutil.rmtree(self.work)
        return counts

    def _sink(self, data: Path, split: str):
        name = f"{split}-00000-of-00001.{self.format}"
        if self.format == "parquet":
            return _ParquetSink(data / name, self.schema)
        return _JsonlSink(data / name)


def write_rejected(out: Path, rows: list[dict[str, Any]], fmt: str) -> None:
    """OUT/rejected.parquet (or .jsonl): every row left out, with its reason and stage."""
    table = pa.Table.from_pylist(rows, REJECTED)
    if fmt == "parquet":
        pq.write_table(table, out / "rejected.parquet", compression="zstd")
    else:
        sink = _JsonlSink(out / "rejected.jsonl")
        sink.write(table)
        sink.close()


def _split_of(key: tuple[int, str], firsts: list[tuple[int, str] | None]) -> str:
    """The last split whose first (oldest) key is at or before `key`; a cut never divides
    one commit or one timestamp, so comparing keys is enough."""
    chosen = SPLITS[0]
    for split, first in zip(SPLITS, firsts, strict=True):
        if first is not None and first <= key:
            chosen = split
    return chosen


class _ParquetSink:
    def __init__(self, path: Path, schema: pa.Schema):
        self._writer = pq.ParquetWriter(path, schema, compression="zstd")

    def write(self, batch: pa.RecordBatch | pa.Table) -> None:
        self._writer.write(batch)

    def close(self) -> None:
        self._writer.close()


class _JsonlSink:
    def __init__(self, path: Path):
        self._file = path.open("w", encoding="utf-8")

    def write(self, batch: pa.RecordBatch | pa.Table) -> None:
        for row in batch.to_pylist():
            self._file.write(json.dumps(row, ensure_ascii=False) + "\n")

    def close(self) -> None:
        self._file.close()
