"""A control group per sandbox slot, where this process may make one: memory and process
limits for the whole sandbox (every process in it together, tmpfs pages included), and
the count of processes the kernel killed for memory. cgroup v2 where its memory and pids
controllers are enabled, else the v1 memory and pids hierarchies; None when neither is
writable (then only the per-process limits hold)."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
GROUP = "repomill-sandbox"


@dataclass(frozen=True)
class Cgroup:
    memory_dir: Path
    pids_dir: Path
    v2: bool

    @property
    def procs_files(self) -> list[str]:
        """Where a process writes its pid to join (children inherit the group)."""
        dirs = {self.memory_dir, self.pids_dir}
        return sorted(str(d / "cgroup.procs") for d in dirs)

    def try_limits(self, memory_bytes: int, processes: int) -> bool:
        """Set the limits; False where the group refuses them (then it is not used)."""
        try:
            self.set_limits(memory_bytes, processes)
        except OSError:
            return False
        return True

    def set_limits(self, memory_bytes: int, processes: int) -> None:
        if self.v2:
            _write(self.memory_dir / "memory.max", memory_bytes)
            with contextlib.suppress(OSError):  # no swap accounting: nothing to limit
                _write(self.memory_dir / "memory.swap.max", 0)
        else:  # v1 keeps memory ≤ memory + swap: lower the first first, raise it last
            memory, swap = (self.memory_dir / f"memory.{n}limit_in_bytes" for n in ("", "memsw."))
            try:
                _write(memory, memory_bytes)
            except OSError:
                _write(swap, memory_bytes)
                _write(memory, memory_bytes)
            with contextlib.suppress(OSError):  # no swap accounting
                _write(swap, memory_bytes)
        _write(self.pids_dir / "pids.max", processes)

    def oom_kills(self) -> int:
        name = "memory.events" if self.v2 else "memory.oom_control"
        with contextlib.suppress(OSError, ValueError):
            for line in (self.memory_dir / name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        return 0

    def kill_remaining(self) -> None:
        """SIGKILL whatever is still in the group (a process that left the sandbox's
        process group)."""
        for directory in {self.memory_dir, self.pids_dir}:
            with contextlib.suppress(OSError, ValueError):
                for pid in (directory / "cgroup.procs").read_text().split():
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(int(pid), 9)


def _write(path: Path, value: int) -> None:
    path.write_text(f"{value}\n")


def _v2_root() -> Path | None:
    controllers = ROOT / "cgroup.controllers"
    with contextlib.suppress(OSError):
        if {"memory", "pids"} <= set(controllers.read_text().split()):
            return ROOT
    return None


def slot_cgroup(slot: int) -> Cgroup | None:
    """The group of one sandbox slot, made on first use; None where none can be made."""
    try:
        if (root := _v2_root()) is not None:
            parent = root / GROUP
            parent.mkdir(exist_ok=True)
            _enable_v2_controllers(root, parent)
            directory = parent / f"slot-{slot}"
            directory.mkdir(exist_ok=True)
            return Cgroup(directory, directory, True)
        dirs = []
        for controller in ("memory", "pids"):
            if not (ROOT / controller / "tasks").exists():  # not a v1 hierarchy
                return None
            directory = ROOT / controller / GROUP / f"slot-{slot}"
            directory.mkdir(parents=True, exist_ok=True)
            dirs.append(directory)
        return Cgroup(dirs[0], dirs[1], False)
    except OSError:
        return None


def _enable_v2_controllers(root: Path, parent: Path) -> None:
    for directory in (root, parent):
        control = directory / "cgroup.subtree_control"
        if not {"memory", "pids"} <= set(control.read_text().split()):
            control.write_text("+memory +pids\n")
