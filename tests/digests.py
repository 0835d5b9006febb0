"""A digest of a finished dataset: one hash per split (and of the rejected output) over its
rows sorted, so two builds compare equal exactly when they hold the same rows."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from repomill.export.read import read_dataset, read_rejected


def dataset_digest(out: Path) -> dict[str, str]:
    tables = {**read_dataset(out), "rejected": read_rejected(out)}
    return {name: _rows_hash(rows) for name, rows in sorted(tables.items())}


def _rows_hash(rows: list[dict]) -> str:
    lines = sorted(json.dumps(row, sort_keys=True, ensure_ascii=False) for row in rows)
    return f"{len(rows)}:" + hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


if __name__ == "__main__":  # python -m tests.digests OUT…
    import sys

    for arg in sys.argv[1:]:
        print(json.dumps({"out": arg, **dataset_digest(Path(arg))}))
