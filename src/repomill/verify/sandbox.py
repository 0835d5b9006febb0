"""Run untrusted code with bubblewrap: no network, a read-only /usr, a private writable
/tmp and work directory, an empty home, no view of the user's files or the repository;
rlimits on CPU time, memory, processes and file size; a wall timeout that kills the whole
process group (the sandbox's PID namespace dies with it); output capped by the file-size
limit and read back truncated. As root, the sandbox runs as `nobody`, so the processes
limit counts its own processes and no root-owned file is readable through a bind."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from repomill.errors import UserError

NOBODY = 65534
OUTPUT_BYTES = 64 * 1024  # of stdout and of stderr kept in the result


@dataclass(frozen=True)
class Limits:
    wall_seconds: float = 10.0
    cpu_seconds: int = 10
    memory_bytes: int | None = 1 << 30  # address space; None for runtimes that reserve it
    processes: int = 64  # beyond what the sandbox user already runs
    file_bytes: int = 8 << 20  # largest file written, stdout and stderr included


@dataclass
class Execution:
    status: str  # passed, failed, timeout, killed (by a limit or a signal)
    exit_code: int | None
    stdout: str
    stderr: str
    seconds: float
    reason: str = ""  # why it did not pass: timeout, cpu_limit, the error's last line…

    @property
    def passed(self) -> bool:
        return self.status == "passed"


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def require_sandbox(unsafe: bool = False) -> None:
    if bwrap_path() is None and not unsafe:
        raise UserError("bubblewrap (bwrap) is not installed: refusing to run generated code "
                        "(apt-get install bubblewrap, or pass --unsafe-no-sandbox)")  # fmt: skip


def _running_processes(uid: int) -> int:
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError):  # gone since the listing
                count += entry.stat().st_uid == uid
    return count


def _bwrap_args(workdir: Path, read_only: dict[str, str]) -> list[str]:
    args = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin",
            "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
            "--symlink", "usr/sbin", "/sbin", "--proc", "/proc", "--dev", "/dev",
            "--tmpfs", "/tmp", "--tmpfs", "/home", "--dir", "/home/sandbox",
            "--bind", str(workdir), "/work", "--chdir", "/work",
            "--clearenv", "--setenv", "HOME", "/home/sandbox", "--setenv", "PATH", "/usr/bin",
            "--setenv", "LANG", "C.UTF-8", "--setenv", "TMPDIR", "/tmp"]  # fmt: skip
    for extra in ("/etc/alternatives", "/etc/java-17-openjdk", "/etc/ld.so.cache"):
        if os.path.exists(extra):  # what interpreters need of /etc; nothing else
            args += ["--ro-bind", extra, extra]
    for source, target in read_only.items():  # tool directories (e.g. npm packages)
        args += ["--ro-bind", source, target]
    return args


def run_sandboxed(
    command: list[str],
    files: dict[str, str],
    limits: Limits | None = None,
    unsafe_no_sandbox: bool = False,
    read_only: dict[str, str] | None = None,
) -> Execution:
    """Write `files` into a fresh work directory, run `command` there (inside the sandbox
    it is /work), and report how it ended. `read_only` maps host directories to where the
    sandbox sees them (read-only)."""
    limits = limits or Limits()
    sandboxed = bwrap_path() is not None
    if not sandboxed and not unsafe_no_sandbox:
        require_sandbox()
    as_root = os.geteuid() == 0
    with tempfile.TemporaryDirectory(prefix="repomill-sbx-") as tmp:
        workdir = Path(tmp) / "work"
        workdir.mkdir()
        for name, text in files.items():
            (workdir / name).parent.mkdir(parents=True, exist_ok=True)
            (workdir / name).write_text(text, encoding="utf-8")
        if as_root:  # nobody must reach its work directory (and only that)
            os.chmod(tmp, 0o711)
            for path in [workdir, *workdir.rglob("*")]:
                os.chown(path, NOBODY, NOBODY)
        argv = list(command)
        if sandboxed:
            argv = _bwrap_args(workdir, read_only or {}) + argv
            if as_root:
                argv = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                        *argv]  # fmt: skip
        else:  # unsafe: the same paths, on the host
            replace = {"/work": str(workdir), **{t: s for s, t in (read_only or {}).items()}}
            for target, source in replace.items():
                argv = [part.replace(target, source) for part in argv]
        processes = limits.processes + _running_processes(NOBODY if as_root else os.getuid())
        # prlimit sets the limits and execs the rest: no preexec_fn, so Popen can spawn
        # without forking this (large) Python process.
        argv = [*_prlimit_args(limits, processes), *argv]
        out_path, err_path = Path(tmp) / "stdout", Path(tmp) / "stderr"
        started = time.perf_counter()
        with out_path.open("wb") as out, err_path.open("wb") as err:
            process = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                cwd=workdir, start_new_session=True,
            )  # fmt: skip
            timed_out = False
            try:
                process.wait(timeout=limits.wall_seconds)
            except subprocess.TimeoutExpired:
                timed_out = True
                _kill_group(process)
                process.wait()
        seconds = time.perf_counter() - started
        stdout, stderr = _read(out_path), _read(err_path)
        status, reason = _verdict(process.returncode, timed_out, stderr, stdout)
        return Execution(status, process.returncode, stdout, stderr, seconds, reason)


def _prlimit_args(limits: Limits, processes: int) -> list[str]:
    args = ["prlimit", f"--cpu={limits.cpu_seconds}:{limits.cpu_seconds + 1}",
            f"--nproc={processes}", f"--fsize={limits.file_bytes}", "--core=0"]  # fmt: skip
    if limits.memory_bytes is not None:
        args.append(f"--as={limits.memory_bytes}")
    return [*args, "--"]


def _kill_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


_SIGNAL_REASONS = {signal.SIGXCPU: "cpu_limit", signal.SIGXFSZ: "file_size_limit",
                   signal.SIGKILL: "killed", signal.SIGSEGV: "crashed"}  # fmt: skip


def _verdict(code: int | None, timed_out: bool, stderr: str, stdout: str) -> tuple[str, str]:
    if timed_out:
        return "timeout", "timeout"
    if code == 0:
        return "passed", ""
    # A signal shows as a negative code, or (through bwrap) as 128 + the signal.
    number = -code if code is not None and code < 0 else (code - 128 if code and code > 128 else 0)
    if number:
        try:
            name = signal.Signals(number)
        except ValueError:
            return "killed", f"signal {number}"
        return "killed", _SIGNAL_REASONS.get(name, name.name.lower())
    lines = [line.strip() for line in (stderr or stdout).splitlines() if line.strip()]
    return "failed", (lines[-1][:200] if lines else f"exit code {code}")


def _read(path: Path) -> str:
    with path.open("rb") as fh:
        data = fh.read(OUTPUT_BYTES + 1)
    text = data[:OUTPUT_BYTES].decode("utf-8", errors="replace")
    return text + ("\n… (output cut)" if len(data) > OUTPUT_BYTES else "")
