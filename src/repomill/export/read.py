"""Reading a finished dataset back: its splits (Parquet or JSONL shards in `DIR/data/`) and
its rejected records, as plain rows. The report uses it, and so can train and eval."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from repomill.export.schema import SPLITS


def read_dataset(out: Path) -> dict[str, list[dict[str, Any]]]:
    """Rows per split, in file order; splits without rows are left out."""
    return {split: [row for path in paths for row in read_rows(path)]
            for split, paths in split_files(out).items()}  # fmt: skip


def read_rejected(out: Path) -> list[dict[str, Any]]:
    """The rejected records (reason, stage, meta…); none where the build wrote none."""
    return [row for path in sorted(out.glob("rejected.*")) for row in read_rows(path)]


def split_files(out: Path) -> dict[str, list[Path]]:
    found: dict[str, list[Path]] = {}
    for split in SPLITS:
        files = sorted((out / "data").glob(f"{split}-*.parquet")) + sorted(
            (out / "data").glob(f"{split}-*.jsonl")
        )
        if files:
            found[split] = files
    return found


def read_rows(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".parquet":
        return pq.read_table(path).to_pylist()
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
