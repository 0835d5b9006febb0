"""One build per output directory: an exclusive flock on OUT/.lock, which holds the pid of
the build that owns it. The kernel drops a flock when its process dies, so the file a
killed build leaves behind never blocks the next one."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from repomill.errors import UserError

LOCK_NAME = ".lock"


class OutputLock:
    """Held from `acquire` until `release` (or the end of the process)."""

    def __init__(self, out: Path, fd: int):
        self.out = out
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, out: Path) -> OutputLock:
        """Lock `out` (an existing directory), or a UserError naming the pid that holds it."""
        path = out / LOCK_NAME
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
                os.close(fd)
                raise UserError(f"{out} is in use by another build (pid {holder})") from None
            except BaseException:
                os.close(fd)
                raise
            # The owner unlinks the file as it releases: a lock won on a file that is no
            # longer at `path` guards nothing, so try again on the new one.
            try:
                same = os.fstat(fd).st_ino == os.stat(path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except BaseException:
            os.close(fd)
            raise
        return cls(out, fd)

    def release(self) -> None:
        if self._fd is None:
            return
        (self.out / LOCK_NAME).unlink(missing_ok=True)
        os.close(self._fd)
        self._fd = None
