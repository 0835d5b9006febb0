"""`--out URL`: a build whose output goes to a URL (`s3://…`, any fsspec file system) is
made in a local staging folder, one per URL and kept between runs (it holds the model-call
and verification caches), and at the end its outputs, everything but caches and the lock,
are copied to the URL, byte for byte. The shard cache goes to URL/.cache, so a re-run from
another machine redoes no finished shard."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from repomill.engine.out_lock import LOCK_NAME
from repomill.engine.storage import FsspecStorage

CACHE = ".cache"


def staging_dir(url: str) -> Path:
    """$REPOMILL_STAGING/<digest of the URL>, else under the user's cache."""
    if "REPOMILL_STAGING" in os.environ:
        base = Path(os.environ["REPOMILL_STAGING"]).expanduser()
    else:
        cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
        base = cache / "repomill" / "builds"
    return base / hashlib.sha256(url.encode()).hexdigest()[:16]


def shard_cache_at(url: str) -> str:
    return f"{url.rstrip('/')}/{CACHE}"


def publish(folder: Path, url: str) -> int:
    """Make `url` hold the build's outputs in `folder`, byte for byte: files copied, files
    of an earlier build that this one did not write removed; returns how many copied."""
    storage = FsspecStorage(url)
    outputs = {path.relative_to(folder).as_posix(): path for path in sorted(folder.rglob("*"))
               if path.is_file() and _is_output(path.relative_to(folder))}  # fmt: skip
    for key, path in outputs.items():
        storage.write(key, path.read_bytes())
    for key in storage.list_keys():
        if key not in outputs and _is_output(Path(key)):
            storage.remove(key)
    return len(outputs)


def _is_output(relative: Path) -> bool:
    return CACHE not in relative.parts and relative.name != LOCK_NAME
