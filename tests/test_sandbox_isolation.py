"""What the sandbox hides and bounds beyond the hostile-code cases: the parent's
environment and paths, tmpfs sizes, memory and processes for the sandbox as a whole and
independent of the sandbox beside it, ptrace and nested namespaces, nothing left behind."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace

import pytest

from repomill.verify import cgroup, sandbox
from repomill.verify.runners import RUNNERS
from repomill.verify.sandbox import Limits

pytestmark = pytest.mark.skipif(
    sandbox.bwrap_path() is None, reason="bubblewrap is not installed (.ci/run installs it)"
)
PYTHON = RUNNERS["python"]
ONE_SHOT_PYTHON = replace(PYTHON, warm=False)
BOTH_PYTHONS = pytest.mark.parametrize(
    "python", [PYTHON, ONE_SHOT_PYTHON], ids=["warm", "one-shot"]
)
ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="per-slot users and groups need root")


@BOTH_PYTHONS
def test_the_parent_environment_and_host_paths_are_invisible(python, monkeypatch, tmp_path):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-planted-secret-4242")
    monkeypatch.setenv("REPOMILL_HOST_PATH", str(tmp_path))
    code = (
        "import glob, os\n"
        "seen = []\n"
        "for path in ['/proc/1/environ', '/proc/self/environ', '/proc/self/mountinfo',\n"
        "             *glob.glob('/proc/[0-9]*/cmdline'), *glob.glob('/proc/[0-9]*/environ')]:\n"
        "    try:\n"
        "        seen.append(open(path, 'rb').read().decode('utf-8', 'replace'))\n"
        "    except OSError as exc:\n"
        "        seen.append(f'{path}: {exc}')\n"
        "print('\\n'.join(seen))\n"
    )
    result = python.run(code, "")
    assert result.passed, result.stderr
    assert "bwrap" in result.stdout or "zygote.py" in result.stdout  # it read the init's
    for leaked in ("sk-planted-secret-4242", "OPENAI_API_KEY", str(tmp_path), "repomill-"):
        assert leaked not in result.stdout, leaked


def test_tmpfs_is_bounded():
    code = (
        "import errno, os\n"
        "for folder in ('/tmp', '/work', '/home/sandbox'):\n"
        "    fd = os.open(folder + '/big', os.O_CREAT | os.O_WRONLY)\n"
        "    try:\n"
        "        os.posix_fallocate(fd, 0, 5 << 30)\n"
        "        print(folder, 'allocated')\n"
        "    except OSError as exc:\n"
        "        print(folder, errno.errorcode[exc.errno])\n"
        "written = 0\n"
        "try:\n"
        "    for i in range(100):\n"  # files under the size limit, many of them
        "        open(f'/tmp/part{i}', 'wb').write(b'x' * (4 << 20))\n"
        "        written += 4\n"
        "except OSError as exc:\n"
        "    print('parts', errno.errorcode[exc.errno], written)\n"
    )
    # Files may be larger than the tmpfs: its own size must stop them.
    result = PYTHON.run(code, "", Limits(tmpfs_bytes=32 << 20, file_bytes=8 << 30))
    assert result.passed, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:3] == ["/tmp ENOSPC", "/work ENOSPC", "/home/sandbox ENOSPC"]
    reason, written = lines[3].split()[1:]
    assert reason == "ENOSPC" and int(written) <= 32


def test_node_and_java_have_a_memory_limit():
    node = RUNNERS["javascript"].run("", "const block = Buffer.alloc(3 * 1024 ** 3, 1);")
    assert not node.passed
    java = RUNNERS["java"]
    if java.available():
        big = java.run("", "java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(1 << 30);")
        assert not big.passed


@ROOT_ONLY
def test_memory_is_bounded_for_the_sandbox_as_a_whole():
    if cgroup.slot_cgroup(0) is None:
        pytest.skip("no writable control group here")
    # Five processes, each under the per-process limit, together over the sandbox's.
    code = (
        "import os, time\n"
        "children = []\n"
        "for _ in range(5):\n"
        "    pid = os.fork()\n"
        "    if pid == 0:\n"
        "        block = bytearray(300 << 20)\n"
        "        time.sleep(5)\n"
        "        os._exit(0)\n"
        "    children.append(pid)\n"
        "codes = [os.waitpid(pid, 0)[1] for pid in children]\n"
        "assert all(code == 0 for code in codes), codes\n"
    )
    limits = Limits(memory_bytes=400 << 20, sandbox_memory_bytes=768 << 20, wall_seconds=20)
    result = PYTHON.run(code, "", limits)
    assert not result.passed
    assert result.reason == "memory_limit", result


def test_threads_fit_in_the_default_limits():
    code = (
        "import threading\n"
        "results = []\n"
        "threads = [threading.Thread(target=results.append, args=(i,)) for i in range(15)]\n"
        "[t.start() for t in threads]\n"
        "[t.join() for t in threads]\n"
        "assert sorted(results) == list(range(15))\n"
    )
    result = PYTHON.run(code, "")
    assert result.passed, result.stderr


@ROOT_ONLY
def test_a_fork_bomb_does_not_starve_the_sandbox_beside_it():
    bomb = threading.Thread(target=PYTHON.run, args=(
        "import os, time\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n"
        "        time.sleep(0.01)", "", Limits(wall_seconds=6, cpu_seconds=6)))  # fmt: skip
    bomb.start()
    time.sleep(1.5)  # the bomb is at its process limit by now
    code = (
        "import threading\n"
        "threads = [threading.Thread(target=lambda: None) for _ in range(15)]\n"
        "[t.start() for t in threads]\n"
        "[t.join() for t in threads]\n"
        "print('threads ran')\n"
    )
    result = PYTHON.run(code, "")
    bomb.join()
    assert result.passed and "threads ran" in result.stdout, result.stderr


def test_ptrace_and_nested_user_namespaces_are_denied():
    code = (
        "import ctypes, os, subprocess\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "print('ptrace', libc.ptrace(16, 1, 0, 0))\n"  # PTRACE_ATTACH to the sandbox's init
        "print('unshare', libc.unshare(0x10000000))\n"  # CLONE_NEWUSER
        "print('unshare -Ur', subprocess.run(['/usr/bin/unshare', '-Ur', '/usr/bin/id', '-u'],\n"
        "      capture_output=True).returncode)\n"
    )
    result = PYTHON.run(code, "")
    assert result.passed, result.stderr
    lines = dict(line.rsplit(" ", 1) for line in result.stdout.splitlines())
    assert lines["ptrace"] == "-1" and lines["unshare"] == "-1"
    assert lines["unshare -Ur"] != "0"


def test_the_program_input_is_its_stdin():
    result = sandbox.run_sandboxed(["/usr/bin/python3", "-I", "-c", "print(input()[::-1])"], {},
                                   stdin="olleh\n")  # fmt: skip
    assert result.passed and result.stdout.strip() == "hello"


def test_a_killed_run_leaves_nothing_behind(tmp_path, monkeypatch):
    scratch = tmp_path / "tmp"  # the runs' temporary folder: it must stay empty
    scratch.mkdir()
    script = ("from repomill.verify.runners import RUNNERS\n"
              "RUNNERS['python'].run('import time\\ntime.sleep(30)', '')\n")  # fmt: skip
    parent = subprocess.Popen([sys.executable, "-c", script],
                              env={**os.environ, "TMPDIR": str(scratch)})  # fmt: skip
    time.sleep(2)  # the sandbox is running
    parent.kill()
    parent.wait()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    timed_out = PYTHON.run("while True:\n    pass", "", Limits(wall_seconds=1, cpu_seconds=5))
    assert timed_out.status == "timeout"
    assert list(scratch.iterdir()) == []
