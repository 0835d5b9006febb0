"""Write a dataset in the Hugging Face datasets layout. Samples stream into a spill file while
the recipe runs (memory stays flat), and are routed into time splits at the end:
`data/{split}-00000-of-00001.parquet` (zstd) or `.jsonl`, plus the rejected records."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from repomill.export.schema import REJECTED
from repomill.export.splits import SPLITS, time_split_bounds

FORMATS = ("parquet", "jsonl")
BATCH_ROWS = 256


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
        self.keys: list[tuple[int, str]] = []  # (commit time, commit) of each spilled row
        self.rejected: list[dict[str, Any]] = []

    def add(self, sample: dict[str, Any], time: int) -> None:
        """Samples may come in any order; the splits are cut by (commit time, commit)."""
        self._buffer.append(sample)
        self.keys.append((time, sample["commit"]))
        if len(self._buffer) >= BATCH_ROWS:
            self._flush()

    def reject(self, record: dict[str, Any]) -> None:
        self.rejected.append(record)

    def _flush(self) -> None:
        if self._buffer:
            self._spill.write_table(pa.Table.from_pylist(self._buffer, self.schema))
            self._buffer = []

    def finish(self, validation: float, test: float) -> dict[str, int]:
        """Cut the spill into splits and write everything; returns rows per split (empty
        splits are not written)."""
        self._flush()
        self._spill.close()
        data = self.out / "data"
        if data.exists():
            shutil.rmtree(data)
        data.mkdir(parents=True)
        ordered = sorted(self.keys)
        bounds = time_split_bounds([k[0] for k in ordered], [k[1] for k in ordered],
                                   validation, test)  # fmt: skip
        counts = {split: end - start for split, (start, end) in bounds.items()}
        firsts = [ordered[start] if start < len(ordered) else None
                  for start, _ in bounds.values()]  # fmt: skip
        sinks = {split: self._sink(data, split) for split in SPLITS if counts[split]}
        offset = 0
        for batch in pq.ParquetFile(self._spill_path).iter_batches(batch_size=BATCH_ROWS):
            routes = [_split_of(self.keys[offset + i], firsts) for i in range(batch.num_rows)]
            for split in SPLITS:
                rows = [i for i, route in enumerate(routes) if route == split]
                if rows:
                    sinks[split].write(batch.take(rows))
            offset += batch.num_rows
        for sink in sinks.values():
            sink.close()
        self._write_rejected()
        shutil.rmtree(self.work)
        return counts

    def _sink(self, data: Path, split: str):
        name = f"{split}-00000-of-00001.{self.format}"
        if self.format == "parquet":
            return _ParquetSink(data / name, self.schema)
        return _JsonlSink(data / name)

    def _write_rejected(self) -> None:
        table = pa.Table.from_pylist(self.rejected, REJECTED)
        if self.format == "parquet":
            pq.write_table(table, self.out / "rejected.parquet", compression="zstd")
        else:
            sink = _JsonlSink(self.out / "rejected.jsonl")
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
