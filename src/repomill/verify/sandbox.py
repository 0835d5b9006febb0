"""Run untrusted code with bubblewrap.

Inside: no network, a read-only /usr, only the /etc entries interpreters need, size-capped
tmpfs /tmp, /work (the program's files, copied in through file descriptors) and /home, an
empty environment, no host path anywhere (bwrap reads its arguments from a descriptor, so
even its command line shows none), a seccomp filter (no ptrace, no namespaces, no mounts)
and no nested user namespaces. Limits: CPU time, writable memory and file size per process;
as root, a user id and a control group per sandbox slot, so processes and memory are
counted for the sandbox as a whole and never shared with a sandbox beside it. A wall
timeout kills the process group, and the PID namespace dies with it. Output is capped by
the file-size limit and read back truncated."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

from repomill.errors import UserError
from repomill.verify import cgroup, seccomp, slots

OUTPUT_BYTES = 64 * 1024  # of stdout and of stderr kept in the result
HOME = "/home/sandbox"
# Processes of a sandbox beside the program's own: bwrap and its init; in a warm sandbox
# also the zygote, its runner and the program's init.
SANDBOX_PROCESSES = {False: 2, True: 5}  # by `warm`


@dataclass(frozen=True)
class Limits:
    wall_seconds: float = 10.0
    cpu_seconds: int = 10
    memory_bytes: int = 512 << 20  # writable memory of one process (RLIMIT_DATA)
    sandbox_memory_bytes: int = 1 << 30  # all processes and tmpfs together (a cgroup, as root)
    processes: int = 64  # tasks of the sandbox at once, threads included
    file_bytes: int = 8 << 20  # largest file written, stdout and stderr included
    tmpfs_bytes: int = 64 << 20  # each of /tmp, /work and /home


@dataclass
class Execution:
    status: str  # passed, failed, timeout, killed (by a limit or a signal)
    exit_code: int | None
    stdout: str
    stderr: str
    seconds: float
    reason: str = ""  # why it did not pass: timeout, cpu_limit, memory_limit, the error…

    @property
    def passed(self) -> bool:
        return self.status == "passed"


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def require_sandbox(unsafe: bool = False) -> None:
    if bwrap_path() is None and not unsafe:
        raise UserError("bubblewrap (bwrap) is not installed: refusing to run generated code "
                        "(apt-get install bubblewrap, or pass --unsafe-no-sandbox)")  # fmt: skip


def run_sandboxed(
    command: list[str],
    files: dict[str, str],
    limits: Limits | None = None,
    unsafe_no_sandbox: bool = False,
    read_only: dict[str, str] | None = None,
    stdin: str = "",
) -> Execution:
    """Put `files` in /work, run `command` there and report how it ended. `read_only` maps
    host directories to where the sandbox sees them; `stdin` is the program's input."""
    limits = limits or Limits()
    if bwrap_path() is None:
        if not unsafe_no_sandbox:
            require_sandbox()
        return _run_unsafe(command, files, limits, read_only or {}, stdin)
    with contextlib.ExitStack() as stack:
        descriptors = Descriptors(stack)
        argv, group, limits = confined(stack, descriptors, command, files, limits,
                                       read_only or {})  # fmt: skip
        kills = group.oom_kills() if group else 0
        execution = _execute([*_prlimit_args(limits), *argv], descriptors, limits, stdin,
                             cwd="/")  # fmt: skip
        if group is not None:
            group.kill_remaining()
            if not execution.passed and group.oom_kills() > kills:
                execution.reason = "memory_limit"
        return execution


def confined(stack: contextlib.ExitStack, descriptors: Descriptors, command: list[str],
             files: dict[str, str], limits: Limits, read_only: dict[str, str],
             warm: bool = False) -> tuple[list[str], cgroup.Cgroup | None, Limits]:  # fmt: skip
    """The command line that runs `command` in bubblewrap (as root: as the user of a
    sandbox slot held until `stack` closes, in the slot's control group when one can be
    limited), the group, and the limits with the processes the user already runs added
    (without root, the user's own processes count towards the limit). `warm`: the
    sandbox of a zygote (see `warm`)."""
    bwrap = bwrap_path()
    args = _bwrap_args(files, limits, read_only, descriptors, warm)
    argv = [bwrap, "--args", str(descriptors.add("\0".join(args) + "\0")), *command]
    if os.geteuid() != 0:
        return argv, None, replace(limits, processes=limits.processes + running_processes())
    slot = stack.enter_context(slots.sandbox_slot())
    argv = _as_slot_user(slot, argv)
    group = cgroup.slot_cgroup(slot.index)
    processes = limits.processes + SANDBOX_PROCESSES[warm]
    if group is not None and group.try_limits(limits.sandbox_memory_bytes, processes):
        return _joining(group, argv), group, limits
    return argv, None, limits


class Descriptors:
    """Memory-backed file descriptors handed to bwrap (its arguments, the files, the
    filter): nothing is written to the host's disk, so nothing is left behind."""

    def __init__(self, stack: contextlib.ExitStack):
        self.fds: list[int] = []
        stack.callback(lambda: [os.close(fd) for fd in self.fds])

    def add(self, data: str | bytes) -> int:
        fd = os.memfd_create("repomill-sandbox", 0)
        self.fds.append(fd)
        payload = data.encode("utf-8") if isinstance(data, str) else data
        view = memoryview(payload)
        while view:
            view = view[os.write(fd, view) :]
        os.lseek(fd, 0, os.SEEK_SET)
        return fd


def _bwrap_args(files: dict[str, str], limits: Limits, read_only: dict[str, str],
                descriptors: Descriptors, warm: bool) -> list[str]:  # fmt: skip
    """`warm`: a zygote's sandbox keeps the capabilities of its own user namespace, which
    its runners need to make a namespace per program (the program drops them all, then
    installs the seccomp filter itself), and has a read-only tree: a program writes only
    to the tmpfs its runner mounted for it. It outlives the thread that started it; it
    ends when its stdin closes."""
    size = str(limits.tmpfs_bytes)
    lifetime = () if warm else ("--die-with-parent",)
    capabilities = ("--cap-add", "ALL") if warm else ("--cap-drop", "ALL")
    args = ["--unshare-all", "--unshare-user", "--disable-userns", *lifetime,
            "--new-session", *capabilities,
            "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin",
            "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
            "--symlink", "usr/sbin", "/sbin", "--proc", "/proc", "--dev", "/dev",
            "--size", size, "--tmpfs", "/tmp", "--size", size, "--tmpfs", "/home",
            "--dir", HOME, "--size", size, "--tmpfs", "/work"]  # fmt: skip
    for extra in ("/etc/alternatives", "/etc/java-17-openjdk", "/etc/ld.so.cache"):
        if os.path.exists(extra):  # what interpreters need of /etc; nothing else
            args += ["--ro-bind", extra, extra]
    for source, target in read_only.items():  # tool directories (e.g. npm packages)
        args += ["--ro-bind", source, target]
    folders = {str(Path(name).parent) for name in files} - {"."}
    for folder in sorted(folders, key=len):
        args += ["--dir", f"/work/{folder}"]
    for name, text in files.items():
        args += ["--file", str(descriptors.add(text)), f"/work/{name}"]
    program = seccomp.filter_program()
    if warm:
        args += ["--remount-ro", "/dev", "--remount-ro", "/"]
    elif program is not None:
        args += ["--seccomp", str(descriptors.add(program))]
    return [*args, "--chdir", "/work", "--clearenv", "--setenv", "HOME", HOME,
            "--setenv", "PATH", "/usr/bin", "--setenv", "LANG", "C.UTF-8",
            "--setenv", "TMPDIR", "/tmp"]  # fmt: skip


def running_processes(uid: int | None = None) -> int:
    """Processes of `uid` (default: this process's user)."""
    uid = os.getuid() if uid is None else uid
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError):  # gone since the listing
                count += entry.stat().st_uid == uid
    return count


def _as_slot_user(slot: slots.Slot, argv: list[str]) -> list[str]:
    return ["/usr/bin/setpriv", f"--reuid={slot.uid}", f"--regid={slot.uid}",
            f"--groups={slots.SANDBOX_GID}", *argv]  # fmt: skip


def _joining(group: cgroup.Cgroup, argv: list[str]) -> list[str]:
    """A shell that moves itself into the group and then becomes the rest of the chain:
    everything the sandbox starts is counted there from its first instruction."""
    script = " && ".join(f"echo $$ > {path}" for path in group.procs_files)
    return ["/usr/bin/sh", "-c", f'{script} && exec "$@"', "sh", *argv]


def _prlimit_args(limits: Limits) -> list[str]:
    # prlimit sets the limits and execs the rest: no preexec_fn, so Popen can spawn without
    # forking this (large) Python process. Threads count towards --nproc.
    return ["/usr/bin/prlimit", f"--cpu={limits.cpu_seconds}:{limits.cpu_seconds + 1}",
            f"--nproc={limits.processes}", f"--fsize={limits.file_bytes}", "--core=0",
            f"--data={limits.memory_bytes}", "--"]  # fmt: skip


def _execute(argv: list[str], descriptors: Descriptors, limits: Limits, stdin: str,
             cwd: str, env: dict[str, str] | None = None) -> Execution:  # fmt: skip
    """Run with an empty environment (bwrap's own init shows it to the sandbox as
    /proc/1/environ) unless `env` is given; output goes to unlinked files."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        stdin_fd = descriptors.add(stdin)
        process = subprocess.Popen(
            argv, stdin=stdin_fd, stdout=out, stderr=err, cwd=cwd, env=env or {},
            pass_fds=tuple(descriptors.fds), start_new_session=True,
        )  # fmt: skip
        timed_out = False
        try:
            process.wait(timeout=limits.wall_seconds)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(process)
            process.wait()
        seconds = time.perf_counter() - started
        stdout, stderr = _read(out), _read(err)
    status, reason = outcome(process.returncode, timed_out, stderr, stdout)
    return Execution(status, process.returncode, stdout, stderr, seconds, reason)


def _run_unsafe(command: list[str], files: dict[str, str], limits: Limits,
                read_only: dict[str, str], stdin: str) -> Execution:  # fmt: skip
    """--unsafe-no-sandbox: the same paths mapped onto the host, the per-process limits,
    no isolation at all."""
    with tempfile.TemporaryDirectory(prefix="repomill-unsafe-") as tmp, \
            contextlib.ExitStack() as stack:  # fmt: skip
        for name, text in files.items():
            (Path(tmp) / name).parent.mkdir(parents=True, exist_ok=True)
            (Path(tmp) / name).write_text(text, encoding="utf-8")
        argv = list(command)
        for target, source in {"/work": tmp, **{t: s for s, t in read_only.items()}}.items():
            argv = [part.replace(target, source) for part in argv]
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": tmp, "TMPDIR": tmp}
        return _execute([*_prlimit_args(limits), *argv], Descriptors(stack), limits, stdin,
                        cwd=tmp, env=env)  # fmt: skip


def _kill_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


_SIGNAL_REASONS = {signal.SIGXCPU: "cpu_limit", signal.SIGXFSZ: "file_size_limit",
                   signal.SIGKILL: "killed", signal.SIGSEGV: "crashed"}  # fmt: skip


def outcome(code: int | None, timed_out: bool, stderr: str, stdout: str) -> tuple[str, str]:
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


def _read(file: IO[bytes]) -> str:
    file.seek(0)
    return output_text(file.read(OUTPUT_BYTES + 1))


def output_text(data: bytes) -> str:
    """Output as a result keeps it: OUTPUT_BYTES at most, marked where it was cut."""
    text = data[:OUTPUT_BYTES].decode("utf-8", errors="replace")
    return text + ("\n… (output cut)" if len(data) > OUTPUT_BYTES else "")
