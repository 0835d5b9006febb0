"""Warm sandboxes for Python programs: a long-lived bubblewrap sandbox per worker whose
zygote (see `zygote`) forks a fresh interpreter for each program, so a program pays
neither bwrap's set-up nor the interpreter's start (≈ 30 of the 40 ms a one-shot sandbox
costs). Each program still gets its own namespaces, empty tmpfs mounts, limits, seccomp
filter and no capabilities; a sandbox slot's user and control group are held for the
zygote's lifetime and count the programs it runs, one at a time.

A zygote that breaks (it did not answer in time, its sandbox died) is thrown away; the
program it was running is then run again in a one-shot sandbox, so a broken zygote costs
time, never a verdict. A zygote that cannot start at all turns warm sandboxes off for
this process, with one warning."""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import selectors
import struct
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from repomill.errors import warn
from repomill.verify import cgroup, sandbox, seccomp
from repomill.verify.sandbox import Execution, Limits

GRACE_SECONDS = 5.0  # beyond the wall limit, for the zygote's own answer
_SOURCE = (Path(__file__).parent / "zygote.py").read_text(encoding="utf-8")
_log_lock = threading.Lock()


@dataclass
class _Zygote:
    process: subprocess.Popen
    stack: contextlib.ExitStack
    group: cgroup.Cgroup | None
    errors: object  # the zygote's stderr, an unlinked file
    answered: int = 0
    applied: tuple[int, int] | None = None  # the group's limits now

    @classmethod
    def start(cls, interpreter: list[str], read_only: dict[str, str], limits: Limits):
        stack = contextlib.ExitStack()
        try:
            descriptors = sandbox.Descriptors(stack)
            command = [*interpreter, "/work/zygote.py"]
            argv, group, _ = sandbox.confined(stack, descriptors, command,
                                              {"zygote.py": _SOURCE}, limits, read_only,
                                              warm=True)  # fmt: skip
            errors = stack.enter_context(tempfile.TemporaryFile())  # noqa: SIM115 - the stack closes it
            process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       stderr=errors, cwd="/", env={},
                                       pass_fds=tuple(descriptors.fds),
                                       start_new_session=True)  # fmt: skip
        except BaseException:
            stack.close()
            raise
        zygote = cls(process, stack, group, errors)
        zygote.applied = (limits.sandbox_memory_bytes, limits.processes)
        return zygote

    def run(self, program: str, files: dict[str, str], limits: Limits,
            stdin: str) -> Execution | None:  # fmt: skip
        """The program's execution, or None when the zygote broke."""
        wanted = (limits.sandbox_memory_bytes, limits.processes)
        if self.group is not None and self.applied != wanted:
            self.group.set_limits(wanted[0], wanted[1] + sandbox.SANDBOX_PROCESSES[True])
            self.applied = wanted
        kills = self.group.oom_kills() if self.group else 0
        body = json.dumps(_request(program, files, limits, stdin)).encode("utf-8")
        try:
            self.process.stdin.write(struct.pack("=I", len(body)) + body)
            self.process.stdin.flush()
        except OSError:
            return None
        answer = _read_answer(self.process.stdout, limits.wall_seconds + GRACE_SECONDS)
        if answer is None:
            return None
        self.answered += 1
        header, out, err = answer
        code, timed_out = header["exit_code"], header["timed_out"]
        stdout, stderr = sandbox.output_text(out), sandbox.output_text(err)
        status, reason = sandbox.outcome(code, timed_out, stderr, stdout)
        execution = Execution(status, code, stdout, stderr, header["seconds"], reason)
        if self.group is not None and not execution.passed and self.group.oom_kills() > kills:
            execution.reason = "memory_limit"
        return execution

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, 9)
        self.process.wait()
        if self.group is not None:
            self.group.kill_remaining()
        for pipe in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError):
                pipe.close()
        self.stack.close()

    def error_tail(self) -> str:
        self.errors.seek(0)
        lines = self.errors.read().decode("utf-8", "replace").strip().splitlines()
        return lines[-1] if lines else f"exit code {self.process.poll()}"


def _request(program: str, files: dict[str, str], limits: Limits, stdin: str) -> dict:
    processes = limits.processes + sandbox.SANDBOX_PROCESSES[True]
    if os.geteuid() != 0:  # without a slot's own user, the user's processes count too
        processes += sandbox.running_processes()
    filter_program = seccomp.filter_program()
    return {
        "program": program, "files": files, "stdin": stdin, "home": sandbox.HOME,
        "wall_seconds": limits.wall_seconds, "tmpfs_bytes": limits.tmpfs_bytes,
        "output_bytes": sandbox.OUTPUT_BYTES,
        "seccomp": filter_program.hex() if filter_program else "",
        "rlimits": {"cpu": [limits.cpu_seconds, limits.cpu_seconds + 1], "nproc": processes,
                    "fsize": limits.file_bytes, "core": 0, "data": limits.memory_bytes},
    }  # fmt: skip


def _read_answer(pipe, seconds: float) -> tuple[dict, bytes, bytes] | None:
    """One frame from the zygote within `seconds`, or None."""
    deadline = time.monotonic() + seconds
    with selectors.DefaultSelector() as selector:
        selector.register(pipe.fileno(), selectors.EVENT_READ)

        def read(size: int) -> bytes | None:
            data = bytearray()
            while len(data) < size:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    return None
                chunk = os.read(pipe.fileno(), size - len(data))
                if not chunk:
                    return None
                data += chunk
            return bytes(data)

        length = read(4)
        header = length and read(struct.unpack("=I", length)[0])
        if not header:
            return None
        header = json.loads(header)
        out, err = read(header["out"]), read(header["err"])
    if out is None or err is None:
        return None
    return header, out, err


@dataclass
class _Pool:
    """Idle zygotes by (interpreter, read-only mounts); a thread takes one for a run."""

    idle: dict[tuple, list[_Zygote]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    disabled: dict[tuple, str] = field(default_factory=dict)  # keys whose zygote failed

    def take(self, key: tuple) -> _Zygote | None:
        with self.lock:
            while self.idle.get(key):
                zygote = self.idle[key].pop()
                if zygote.process.poll() is None:
                    return zygote
                zygote.close()
        return None

    def give(self, key: tuple, zygote: _Zygote) -> None:
        with self.lock:
            self.idle.setdefault(key, []).append(zygote)

    def close(self) -> None:
        with self.lock:
            zygotes = [z for group in self.idle.values() for z in group]
            self.idle.clear()
        for zygote in zygotes:
            zygote.close()


_POOL = _Pool()
atexit.register(_POOL.close)


def run_warm(command: list[str], files: dict[str, str], limits: Limits,
             read_only: dict[str, str] | None = None, stdin: str = "") -> Execution:  # fmt: skip
    """Run `command` (a Python interpreter and its flags, then the program file in /work)
    as `sandbox.run_sandboxed` would, in a warm sandbox."""
    read_only = read_only or {}
    interpreter, program = command[:-1], command[-1]
    key = (sandbox.bwrap_path(), tuple(interpreter), tuple(sorted(read_only.items())))
    if key in _POOL.disabled:
        return sandbox.run_sandboxed(command, files, limits, read_only=read_only, stdin=stdin)
    zygote = _POOL.take(key) or _Zygote.start(interpreter, read_only, limits)
    execution = zygote.run(program, files, limits, stdin)
    if execution is not None:
        _POOL.give(key, zygote)
        return execution
    if zygote.answered == 0:
        _disable(key, zygote.error_tail())
    zygote.close()
    return sandbox.run_sandboxed(command, files, limits, read_only=read_only, stdin=stdin)


def _disable(key: tuple, why: str) -> None:
    with _log_lock:
        if key not in _POOL.disabled:
            _POOL.disabled[key] = why
            warn(f"warm sandboxes are off, each program gets a sandbox of its own: {why}")
