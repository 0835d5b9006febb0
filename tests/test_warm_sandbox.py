"""Warm sandboxes: programs run one after another in one zygote see nothing of each other
(files, processes, memory), run without capabilities under the seccomp filter, and a
zygote that breaks or cannot start costs time, never a verdict."""

from __future__ import annotations

import hashlib
import os
import secrets
import subprocess
import sys
import time

import pytest

from repomill.verify import sandbox, warm
from repomill.verify.runners import RUNNERS
from repomill.verify.sandbox import Limits

pytestmark = pytest.mark.skipif(
    sandbox.bwrap_path() is None, reason="bubblewrap is not installed (.ci/run installs it)"
)
PYTHON = RUNNERS["python"]


@pytest.fixture(autouse=True)
def no_idle_zygotes():
    """Each test starts with no zygote (earlier tests leave theirs idle)."""
    warm._POOL.close()


def _zygote_pids() -> list[int]:
    return sorted(z.process.pid for group in warm._POOL.idle.values() for z in group)


def _run(code: str, limits: Limits | None = None):
    result = PYTHON.run(code, "", limits)
    assert result.passed, (result.reason, result.stderr[-500:])
    return result


def test_the_next_program_sees_nothing_the_last_one_left():
    _run("pass")  # a zygote is idle now
    [zygote] = _zygote_pids()
    leave = (
        "import os, subprocess\n"
        "for folder in ('/tmp', '/work', '/home/sandbox', '/dev/shm'):\n"
        "    open(folder + '/left-behind', 'w').write('x')\n"
        "for path in ('/left-behind', '/etc/left-behind', '/dev/left-behind'):\n"
        "    try:\n"
        "        open(path, 'w')\n"
        "        print('wrote', path)\n"
        "    except OSError:\n"
        "        pass\n"
        "subprocess.Popen(['/usr/bin/setsid', '/usr/bin/sleep', '60'])\n"
    )
    assert "wrote" not in _run(leave).stdout  # the rest of the tree is read-only
    look = (
        "import glob, os\n"
        "print(glob.glob('/tmp/*') + glob.glob('/home/sandbox/*') + glob.glob('/dev/shm/*')\n"
        "      + glob.glob('/work/left-behind'))\n"
        "print(sorted(open(p).read() for p in glob.glob('/proc/[0-9]*/cmdline')))\n"
    )
    files, commands = _run(look).stdout.splitlines()[:2]
    assert files == "[]"
    assert "sleep" not in commands and commands.count("python3") == 2  # its init, itself
    assert _zygote_pids() == [zygote]  # all three ran in the same zygote


def test_nothing_of_the_last_program_is_in_the_memory_of_the_next():
    _run("pass")
    secret = secrets.token_hex(16)
    _run(f"kept = 'LEAK-CHECK:{secret}'\nprint(kept)\n")
    scan = (
        "import hashlib, re\n"
        f"wanted = {hashlib.sha256(secret.encode()).hexdigest()!r}\n"
        "found = 0\n"
        "with open('/proc/self/maps') as maps, open('/proc/self/mem', 'rb', 0) as mem:\n"
        "    for line in maps:\n"
        "        span, perms = line.split()[:2]\n"
        "        if not perms.startswith('r'):\n"
        "            continue\n"
        "        start, end = (int(x, 16) for x in span.split('-'))\n"
        "        try:\n"
        "            mem.seek(start)\n"
        "            data = mem.read(end - start)\n"
        "        except (OSError, OverflowError, ValueError):\n"
        "            continue\n"
        "        for match in re.finditer(rb'LEAK-CHECK:([0-9a-f]{32})', data):\n"
        "            found += hashlib.sha256(match.group(1)).hexdigest() == wanted\n"
        "print('found', found)\n"
    )
    assert "found 0" in _run(scan).stdout


def test_a_program_has_no_capabilities_and_runs_under_the_filter():
    code = (
        "import ctypes, os\n"
        "status = dict(line.split(':\\t', 1) for line in open('/proc/self/status'))\n"
        "for key in ('CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb', 'NoNewPrivs', 'Seccomp'):\n"
        "    print(key, int(status[key].strip(), 16))\n"
        "print('unshare', ctypes.CDLL(None).unshare(0x00020000))\n"
        "print('uid', os.getuid())\n"
    )
    lines = dict(line.split() for line in _run(code).stdout.splitlines())
    for key in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert lines[key] == "0", key
    assert lines["NoNewPrivs"] == "1" and lines["Seccomp"] == "2"
    assert lines["unshare"] == "-1"
    assert lines["uid"] != "0"


def test_a_program_cannot_stop_its_init():
    code = ("import os, signal, time\n"
            "for number in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL, signal.SIGHUP):\n"
            "    os.kill(1, number)\n"
            "time.sleep(0.3)\n"
            "print('still running')\n")  # fmt: skip
    assert _run(code).stdout.strip() == "still running"


def test_a_timeout_leaves_the_zygote_serving():
    _run("pass")
    [zygote] = _zygote_pids()
    started = time.monotonic()
    hung = PYTHON.run("while True:\n    pass", "", Limits(wall_seconds=1, cpu_seconds=5))
    assert hung.status == "timeout" and time.monotonic() - started < 4
    assert _run("print('next')").stdout.strip() == "next"
    assert _zygote_pids() == [zygote]


def test_a_zygote_that_cannot_start_falls_back_with_one_warning(monkeypatch, capsys):
    monkeypatch.setattr(warm, "_SOURCE", "raise SystemExit('zygote is broken')\n")
    monkeypatch.setattr(warm._POOL, "disabled", {})
    for _ in range(2):
        assert _run("print('still verified')").stdout.strip() == "still verified"
    assert capsys.readouterr().err.count("warm sandboxes are off") == 1
    assert _zygote_pids() == []


def test_a_zygote_whose_host_is_killed_ends():
    script = ("from repomill.verify.runners import RUNNERS\n"
              "RUNNERS['python'].run('pass', '')\n"
              "print('ready', flush=True)\n"
              "RUNNERS['python'].run('import time\\ntime.sleep(60)', '')\n")  # fmt: skip
    host = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert host.stdout.readline().strip() == "ready"
    time.sleep(1)  # the sleeper runs now
    zygotes = _zygotes_of(host.pid)
    assert zygotes
    host.kill()
    host.wait()
    deadline = time.monotonic() + 5
    while any(_alive(pid) for pid in zygotes) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in zygotes)


def _zygotes_of(parent: int) -> list[int]:
    """The zygote processes that `parent` started (through bwrap)."""
    found = []
    for entry in os.scandir("/proc"):
        try:
            if entry.name.isdigit() and _descends(int(entry.name), parent):
                with open(f"{entry.path}/cmdline", "rb") as cmdline:
                    if b"/work/zygote.py" in cmdline.read():
                        found.append(int(entry.name))
        except OSError:
            continue
    return found


def _descends(pid: int, ancestor: int) -> bool:
    while pid > 1:
        if pid == ancestor:
            return True
        with open(f"/proc/{pid}/stat") as stat:
            pid = int(stat.read().rsplit(")", 1)[1].split()[1])
    return False


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
