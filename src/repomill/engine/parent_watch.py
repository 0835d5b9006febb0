"""Pool workers end when the process that started the pool dies, even by kill -9.

A worker's parent is the forkserver, not the main process, so PR_SET_PDEATHSIG cannot
see the main process go; and the forkserver itself only exits once every worker has
closed its `alive` pipe, while the workers, holding both ends of their task queue, wait
on it forever. So each worker watches the main process itself: the forkserver and the
resource tracker then exit on their own when the last worker is gone."""

from __future__ import annotations

import os
import select
import signal
import threading
import time

POLL_SECONDS = 0.5  # only where pidfd_open is missing (not Linux, or a kernel before 5.3)


def exit_with(pid: int) -> None:
    """Start a daemon thread that kills this process as soon as process `pid` has ended."""
    threading.Thread(target=_watch, args=(pid,), name="repomill-parent-watch", daemon=True).start()


def _watch(pid: int) -> None:
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        _die()
    except (AttributeError, OSError):
        while _alive(pid):
            time.sleep(POLL_SECONDS)
        _die()
    else:
        select.select([fd], [], [])  # a pidfd becomes readable when its process exits
        _die()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, only not ours to signal
        pass
    return True


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)
