"""Reading a finished dataset back: its splits (Parquet or JSONL shards in `data/` of the
dataset folder) and its rejected records, as plain rows. The report uses it, and so do
train and eval.

A build writes OUT/dataset/ (the card, `data/`, `dataset_info.json`: the dataset alone,
as it is uploaded to a hub) and keeps its own files beside it in OUT (manifest, report,
rejected rows, caches)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from repomill.export.schema import SPLITS

DATASET_DIR = "dataset"


def dataset_dir(out: Path) -> Path:
    """The dataset folder of a build output (OUT/dataset/), or `out` itself where it is
    a dataset folder already (e.g. one downloaded from a hub)."""
    inner = out / DATASET_DIR
    return inner if inner.is_dir() else out


def build_dir(path: Path) -> Path:
    """The build output a dataset folder belongs to (OUT for OUT/dataset/), else `path`."""
    if path.name == DATASET_DIR and (path.parent / "manifest.json").is_file():
        return path.parent
    return path


def read_dataset(out: Path) -> dict[str, list[dict[str, Any]]]:
    """Rows per split, in file order; splits without rows are left out."""
    return {split: [row for path in paths for row in read_rows(path)]
            for split, paths in split_files(out).items()}  # fmt: skip


def read_rejected(out: Path) -> list[dict[str, Any]]:
    """The rejected records (reason, stage, meta…); none where the build wrote none."""
    return [row for path in sorted(out.glob("rejected.*")) for row in read_rows(path)]


def split_files(out: Path) -> dict[str, list[Path]]:
    found: dict[str, list[Path]] = {}
    data = dataset_dir(out) / "data"
    for split in SPLITS:
        files = sorted(data.glob(f"{split}-*.parquet")) + sorted(data.glob(f"{split}-*.jsonl"))
        if files:
            found[split] = files
    return found


def read_rows(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".parquet":
        return pq.read_table(path).to_pylist()
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
