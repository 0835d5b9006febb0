"""Sandbox slots: each sandbox running at one time, in this process or another, holds a
slot, and with it a user id of its own (as root) and a control group of its own. Limits
the kernel counts per user (processes) then hold per sandbox: a fork bomb in one sandbox
cannot starve a correct test in the next one. A slot is an flock on a small file, so a
killed process frees its slot with its last file descriptor."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SLOTS = 256
UID_BASE = 1_100_000  # above the ranges distributions hand out (users, subuids)
SANDBOX_GID = UID_BASE - 1  # every slot's supplementary group: what it may read of the host
LOCK_DIR = Path("/tmp/repomill-sandbox-slots")


@dataclass(frozen=True)
class Slot:
    index: int

    @property
    def uid(self) -> int:
        return UID_BASE + self.index


@contextlib.contextmanager
def sandbox_slot() -> Iterator[Slot]:
    LOCK_DIR.mkdir(mode=0o700, exist_ok=True)
    for index in range(SLOTS):
        fd = os.open(LOCK_DIR / f"slot-{index}", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        try:
            yield Slot(index)
        finally:
            os.close(fd)  # releases the lock
        return
    raise RuntimeError(f"all {SLOTS} sandbox slots are in use")
