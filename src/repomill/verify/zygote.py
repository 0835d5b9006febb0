"""The program a warm sandbox runs (see `warm`): a Python interpreter, started once inside
bubblewrap, that forks a fresh copy of itself for each program it is sent. Standard library
only, Python 3.9+: it runs on the sandbox's /usr/bin/python3, not on repomill's Python.

Per program, three processes, each forked from the last:
- the *runner* reads one request from stdin, makes a new mount, PID and IPC namespace,
  mounts empty size-capped /tmp, /work, /home and /dev/shm there (the rest of the tree is
  read-only), writes the program's files, waits for the program (killing it at the wall
  limit) and writes the result frame to stdout;
- the *init* is PID 1 of the new namespace: it mounts its /proc (which shows nothing
  older), reaps orphans, and when it exits the kernel kills whatever is left;
- the *program* drops every capability, sets its limits, installs the seccomp filter and
  runs the program file as `python -I FILE` would, in this already started interpreter.
The zygote itself never reads a request or an output, so nothing of one program is in
the memory the next one is forked from. Frames are a 4-byte length, a JSON header, then
raw bytes (the header says how many)."""

import ctypes
import json
import os
import select
import signal
import struct
import sys
import time

_CLONE_NEWNS, _CLONE_NEWIPC, _CLONE_NEWPID = 0x00020000, 0x08000000, 0x20000000
_MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_REC, _MS_PRIVATE = 2, 4, 8, 0x4000, 1 << 18
_PR_CAPBSET_DROP, _PR_SET_SECCOMP, _PR_SET_NO_NEW_PRIVS, _PR_CAP_AMBIENT = 24, 22, 38, 47
_CAP_AMBIENT_CLEAR_ALL, _SECCOMP_MODE_FILTER, _CAP_VERSION_3 = 4, 2, 0x20080522
_EXIT_NO_REQUEST = 3  # the runner found stdin closed: the zygote ends
_FAILED_SETUP = 125  # the program's process could not be set up (its stderr says why)
_LIMITS = {"cpu": "RLIMIT_CPU", "nproc": "RLIMIT_NPROC", "fsize": "RLIMIT_FSIZE",
           "core": "RLIMIT_CORE", "data": "RLIMIT_DATA"}  # fmt: skip

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result, what):
    if result != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{what}: {os.strerror(number)}")


def _mount(source, target, kind, flags=0, options=""):
    encoded = [text.encode() if text else None for text in (source, target, kind, options)]
    _check(_libc.mount(*encoded[:3], ctypes.c_ulong(flags), encoded[3]), "mount " + target)


def _read_exact(fd, size):
    data = bytearray()
    while len(data) < size:
        chunk = os.read(fd, size - len(data))
        if not chunk:
            return None
        data += chunk
    return bytes(data)


def _read_frame(fd):
    head = _read_exact(fd, 4)
    if head is None:
        return None
    body = _read_exact(fd, struct.unpack("=I", head)[0])
    return None if body is None else json.loads(body)


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _memfd(name, data=b""):
    fd = os.memfd_create(name, 0)
    _write_all(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def main():
    while True:
        runner = os.fork()
        if runner == 0:
            code = 70
            try:
                code = _run_one()
            finally:
                os._exit(code)
        _, status = os.waitpid(runner, 0)
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) == _EXIT_NO_REQUEST:
            return


def _run_one():
    request = _read_frame(0)
    if request is None:
        return _EXIT_NO_REQUEST
    started = time.monotonic()
    _check(_libc.unshare(_CLONE_NEWNS | _CLONE_NEWPID | _CLONE_NEWIPC), "unshare")
    _mount(None, "/", None, _MS_REC | _MS_PRIVATE)  # nothing propagates back to the zygote
    for target in ("/tmp", "/work", "/home", "/dev/shm"):
        _mount("tmpfs", target, "tmpfs", _MS_NOSUID | _MS_NODEV,
               f"size={request['tmpfs_bytes']},mode=755")  # fmt: skip
    os.mkdir(request["home"])
    for name, text in request["files"].items():
        path = os.path.join("/work", name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as file:
            file.write(text)
    stdin = _memfd("stdin", request["stdin"].encode("utf-8"))
    stdout, stderr = _memfd("stdout"), _memfd("stderr")
    init = os.fork()
    if init == 0:
        code = 70
        try:
            code = _init(request, stdin, stdout, stderr)
        finally:
            os._exit(code)
    ended, host_gone = _wait_for(init, request["wall_seconds"] - (time.monotonic() - started))
    if not ended:
        os.kill(init, 9)  # PID 1 of the namespace: every process in it dies too
    if host_gone:
        return _EXIT_NO_REQUEST
    timed_out = not ended
    _, status = os.waitpid(init, 0)
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)
    keep = request["output_bytes"] + 1
    out, err = os.pread(stdout, keep, 0), os.pread(stderr, keep, 0)
    seconds = time.monotonic() - started
    header = json.dumps({"exit_code": code, "timed_out": timed_out, "out": len(out),
                         "err": len(err), "seconds": seconds}).encode()  # fmt: skip
    _write_all(1, struct.pack("=I", len(header)) + header + out + err)
    return 0


def _wait_for(pid, seconds):
    """(whether `pid` ended within `seconds`, whether the host closed our stdin first: it
    was killed, and the program is not waited for)."""
    fd = os.pidfd_open(pid)
    try:
        poll = select.poll()
        poll.register(fd, select.POLLIN)
        poll.register(0, select.POLLHUP)
        events = dict(poll.poll(max(0, int(seconds * 1000))))
        return fd in events, bool(events.get(0, 0) & (select.POLLHUP | select.POLLERR))
    finally:
        os.close(fd)


def _init(request, stdin, stdout, stderr):
    """PID 1 of the program's namespace: its exit status is the program's (a signal as
    128 + the signal, as bwrap reports it)."""
    _mount("proc", "/proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)
    program = os.fork()
    if program == 0:
        try:
            _become_program(request, stdin, stdout, stderr)
        except BaseException as error:  # noqa: BLE001 - reported as the run's stderr
            os.write(stderr, f"sandbox setup failed: {error!r}\n".encode())
            os._exit(_FAILED_SETUP)
    # Python's own SIGINT handler would let the program stop its init; with the default
    # action the kernel ignores a signal that PID 1 gets from inside its namespace.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    while True:  # orphans are reparented here: reap them until the program has ended
        pid, status = os.wait()
        if pid == program:
            return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)


def _become_program(request, stdin, stdout, stderr):
    for target, fd in ((0, stdin), (1, stdout), (2, stderr)):
        os.dup2(fd, target)
    os.closerange(3, 65536)
    os.chdir("/work")
    import resource

    for name, value in request["rlimits"].items():
        soft, hard = value if isinstance(value, list) else (value, value)
        resource.setrlimit(getattr(resource, _LIMITS[name]), (soft, hard))
    _drop_capabilities()
    _check(_libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    if request["seccomp"]:
        _install_seccomp(bytes.fromhex(request["seccomp"]))
    _run_python(request["program"])


def _drop_capabilities():
    _check(_libc.prctl(_PR_CAP_AMBIENT, _CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "clear ambient")
    for capability in range(64):
        if _libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            break  # past the last capability this kernel knows
    header = struct.pack("=Ii", _CAP_VERSION_3, 0)
    _check(_libc.capset(header, bytes(24)), "capset")  # effective, permitted, inheritable: 0


def _install_seccomp(program):
    class Program(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]

    fprog = Program(len(program) // 8, program)
    _check(_libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0),
           "seccomp")  # fmt: skip


def _run_python(program):
    """Run /work/PROGRAM as `python -I PROGRAM` does: as a fresh __main__, its exit status
    from SystemExit, an uncaught exception through sys.excepthook, then the exit handlers
    and the wait for non-daemon threads."""
    import builtins

    path = os.path.join("/work", program)
    module = type(sys)("__main__")
    module.__file__, module.__builtins__ = path, builtins
    sys.modules["__main__"], sys.argv = module, [program]
    status = 0
    try:
        with open(path, encoding="utf-8") as file:
            code = compile(file.read(), path, "exec")
        exec(code, module.__dict__)
    except SystemExit as stop:
        status = _exit_status(stop.code)
    except BaseException as error:  # noqa: BLE001 - the program's own uncaught exception
        error = error.with_traceback(error.__traceback__.tb_next)  # from the program down
        sys.excepthook(type(error), error, error.__traceback__)
        status = 1
    try:
        if "threading" in sys.modules:
            sys.modules["threading"]._shutdown()
        import atexit

        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    except SystemExit as stop:
        status = _exit_status(stop.code)
    except BaseException:  # noqa: BLE001 - as the interpreter does at exit
        status = status or 120
    os._exit(status)


def _exit_status(code):
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    sys.stderr.write(f"{code}\n")
    return 1


if __name__ == "__main__":
    main()
