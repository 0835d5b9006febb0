"""Write a dataset in the Hugging Face datasets layout. Samples stream into a spill file while
the recipe runs (memory stays flat), and are routed into time splits at the end:
`data/{split}-00000-of-00001.parquet` (zstd) or `.jsonl`, plus the rejected records."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from repomill.curate.curator import Curator
from repomill.curate.dedup import DedupRow, duplicates_to_drop
from repomill.curate.secrets import redact
from repomill.export.schema import REJECTED
from repomill.export.splits import SPLITS, time_split_bounds

BATCH_ROWS = 256


class DatasetWriter:
    """`curator` (optional) checks each sample as it is added, and removes duplicates
    across the whole dataset when the splits are cut."""

    def __init__(self, out: Path, schema: pa.Schema, fmt: str = "parquet",
                 curator: Curator | None = None):  # fmt: skip
        self.out = out
        self.curator = curator
        self.schema = schema
        self.format = fmt
        self.work = out / ".work"
        self.work.mkdir(parents=True, exist_ok=True)
        self._spill_path = self.work / "samples.parquet"
        self._spill = pq.ParquetWriter(self._spill_path, schema, compression="zstd")
        self._buffer: list[dict[str, Any]] = []
        self.keys: list[tuple[int, str]] = []  # (commit time, commit) of each spilled row
        self.ids: list[tuple[str, str]] = []  # (id, recipe) of each spilled row
        self.fingerprints: list[tuple[str, bytes]] = []
        self.rejected: list[dict[str, Any]] = []
        self.deduplicated: dict[str, int] = {}
        self.exported_commits: set[str] = set()

    def add(self, sample: dict[str, Any], time: int, group: str | None = None) -> None:
        """Samples may come in any order; the splits are cut by (time, group), and a group
        (default: the sample's commit) never spans two splits."""
        if self.curator is not None:
            checked, reason, stage, detail = self.curator.check(sample)
            if checked is None:
                self.reject(rejected_sample(sample, reason, stage, detail))
                return
            sample = checked
            if self.curator.config.dedup:
                self.fingerprints.append(self.curator.fingerprint(sample))
        self._buffer.append(sample)
        self.keys.append((time, group if group is not None else sample["commit"]))
        self.ids.append((sample["id"], sample["recipe"]))
        if len(self._buffer) >= BATCH_ROWS:
            self._flush()

    def reject(self, record: dict[str, Any]) -> None:
        if self.curator is not None:  # a commit message can hold a secret too
            record = redact(record, Counter())
        self.rejected.append(record)

    def _flush(self) -> None:
        if self._buffer:
            self._spill.write_table(pa.Table.from_pylist(self._buffer, self.schema))
            self._buffer = []

    def finish(self, validation: float, test: float) -> dict[str, int]:
        """Cut the spill into splits and write everything; returns rows per split (empty
        splits are not written, and with no rows at all there is no data/: a folder that
        `load_dataset` cannot read is worse than none)."""
        self._flush()
        self._spill.close()
        data = self.out / "data"
        if data.exists():
            shutil.rmtree(data)
        ordered = sorted(self.keys)
        bounds = time_split_bounds([k[0] for k in ordered], [k[1] for k in ordered],
                                   validation, test)  # fmt: skip
        counts = {split: end - start for split, (start, end) in bounds.items()}
        firsts = [ordered[start] if start < len(ordered) else None
                  for start, _ in bounds.values()]  # fmt: skip
        splits = [_split_of(key, firsts) for key in self.keys]
        for position, reason in self._duplicates(splits).items():
            counts[splits[position]] -= 1
            splits[position] = ""  # routed nowhere
            sample_id, recipe = self.ids[position]
            self.reject(rejected_record(sample_id, recipe, self.keys[position][1], reason,
                                        "curate.dedup", {}))  # fmt: skip
        if any(counts.values()):
            data.mkdir(parents=True)
        sinks = {split: self._sink(data, split) for split in SPLITS if counts[split]}
        offset = 0
        self.exported_commits = {key[1] for key, split in zip(self.keys, splits, strict=True)
                                 if split}  # fmt: skip
        for batch in pq.ParquetFile(self._spill_path).iter_batches(batch_size=BATCH_ROWS):
            routes = splits[offset : offset + batch.num_rows]
            for split in sinks:
                rows = [i for i, route in enumerate(routes) if route == split]
                if rows:
                    sinks[split].write(batch.take(rows))
            offset += batch.num_rows
        for sink in sinks.values():
            sink.close()
        self._write_rejected()
        shutil.rmtree(self.work)
        return counts

    def _duplicates(self, splits: list[str]) -> dict[int, str]:
        if not self.fingerprints:
            return {}
        rows = [DedupRow(SPLITS.index(split), (*key, ids[0]), exact, signature)
                for split, key, ids, (exact, signature)
                in zip(splits, self.keys, self.ids, self.fingerprints, strict=True)]  # fmt: skip
        dropped = duplicates_to_drop(rows, self.curator.config.near_threshold)
        self.deduplicated = dict(sorted(Counter(dropped.values()).items()))
        return dropped

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


def rejected_record(sample_id: str, recipe: str, commit: str, reason: str, stage: str,
                    meta: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    """A row of the rejected output (the `REJECTED` schema)."""
    text = json.dumps(meta, ensure_ascii=False, sort_keys=True)
    return {"id": sample_id, "recipe": recipe, "commit": commit, "reason": reason,
            "stage": stage, "meta": text}  # fmt: skip


def rejected_sample(sample: dict[str, Any], reason: str, stage: str,
                    detail: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    """The rejected record of a whole sample: its meta with the detail of why."""
    meta = {**json.loads(sample.get("meta") or "{}"), **detail}
    return rejected_record(sample["id"], sample["recipe"], sample.get("commit", ""), reason,
                           stage, meta)  # fmt: skip


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
