"""Where durable files go: a folder on this machine, or any fsspec URL (a shared file
system, an object store: `s3://…`, `gs://…`, with that file system's package installed,
e.g. `pip install s3fs`). Keys are '/'-separated paths under the location. A write is
whole or absent: a temporary file renamed in a folder; one object put in a store."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from repomill.errors import UserError

_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


def is_url(location: str | Path) -> bool:
    return isinstance(location, str) and bool(_URL.match(location))


class LocalStorage:
    def __init__(self, root: Path):
        self.root = root
        self.location = str(root)

    def read(self, key: str) -> bytes | None:
        try:
            return (self.root / key).read_bytes()
        except FileNotFoundError:
            return None

    def exists(self, key: str) -> bool:
        return (self.root / key).is_file()

    def write(self, key: str, data: bytes) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


class FsspecStorage:
    def __init__(self, url: str):
        try:
            import fsspec

            self.fs, self.root = fsspec.core.url_to_fs(url)
        except ImportError as exc:  # the URL's file system needs a package (s3fs, gcsfs…)
            raise UserError(f"{url}: {exc}") from None
        except (ValueError, OSError) as exc:
            raise UserError(f"{url}: cannot open it ({exc})") from None
        self.location = url
        self._local = "file" in self.fs.protocol  # a folder: rename, as LocalStorage does

    def _path(self, key: str) -> str:
        return f"{self.root.rstrip('/')}/{key}"

    def read(self, key: str) -> bytes | None:
        try:
            return self.fs.cat_file(self._path(key))
        except FileNotFoundError:
            return None

    def exists(self, key: str) -> bool:
        return self.fs.isfile(self._path(key))

    def write(self, key: str, data: bytes) -> None:
        path = self._path(key)
        if not self._local:
            self.fs.pipe_file(path, data)  # one put: an object appears whole or not at all
            return
        self.fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
        tmp = f"{path}.tmp-{os.getpid()}"
        self.fs.pipe_file(tmp, data)
        self.fs.mv(tmp, path)

    def list_keys(self) -> list[str]:
        root = self.root.rstrip("/")
        return sorted(path[len(root) + 1 :] for path in self.fs.find(root))

    def remove(self, key: str) -> None:
        self.fs.rm_file(self._path(key))


Storage = LocalStorage | FsspecStorage


def open_storage(location: str | Path) -> Storage:
    """A URL is fsspec's; anything else is a folder on this machine."""
    return FsspecStorage(location) if is_url(location) else LocalStorage(Path(location))
