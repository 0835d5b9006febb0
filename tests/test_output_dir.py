"""One build per output directory, and nothing left behind: the lock, workers that die
with the build, a full disk, and builds that keep no rows."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import typer

from repomill.cli import output_dir, user_errors
from repomill.engine.out_lock import LOCK_NAME, OutputLock
from repomill.errors import UserError
from repomill.export.schema import sample_schema
from repomill.export.writer import DatasetWriter, write_rejected
from repomill.recipes.registry import RECIPES

from .conftest import GIT_ENV, commit, make_repo
from .projects import PYTHON
from .test_cli import run_cli

T0 = 1_600_000_000


def many_commits(root: Path, count: int) -> Path:
    """A repository of `count` commits that each change three modules (git fast-import:
    hundreds of commits in well under a second)."""
    root.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    stream = []
    for i in range(1, count + 1):
        message = f"Change the values of the functions in module {i % 7}\n"
        stream.append(f"commit refs/heads/main\nmark :{i}\n"
                      f"committer T <t@example.com> {T0 + 60 * i} +0000\n"
                      f"data {len(message)}\n{message}")  # fmt: skip
        if i > 1:
            stream.append(f"from :{i - 1}\n")
        for m in range(3):
            body = "".join(f"def f{j}(x):\n    return x + {(i + m) * j}\n\n" for j in range(40))
            stream.append(f"M 644 inline pkg/mod{(i + m) % 7}.py\ndata {len(body)}\n{body}")
        stream.append("\n")
    subprocess.run(["git", "fast-import", "--quiet"], cwd=root, input="".join(stream).encode(),
                   env={**os.environ, **GIT_ENV}, check=True)  # fmt: skip
    subprocess.run(["git", "-C", str(root), "checkout", "-q", "main"], check=True)
    return root


def start_build(repo: Path, out: Path, *args: str, marker: str = "") -> subprocess.Popen:
    env = {**os.environ, "REPOMILL_TEST_TREE": marker}
    return subprocess.Popen(
        [sys.executable, "-m", "repomill.cli", "build", "commits", str(repo), "--out", str(out), "--quiet",
         *args],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def marked_processes(marker: str) -> list[int]:
    """Pids of the live processes whose environment holds REPOMILL_TEST_TREE=`marker`."""
    needle = f"REPOMILL_TEST_TREE={marker}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if needle in environ.split(b"\0") and state != "Z":
            found.append(int(entry.name))
    return found


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def one_error_line(done) -> str:
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("repomill: error:"), done.stderr
    return lines[0]


# --- the lock -------------------------------------------------------------------------


def test_a_second_lock_on_a_directory_is_refused_until_the_first_is_released(tmp_path):
    first = OutputLock.acquire(tmp_path)
    assert (tmp_path / LOCK_NAME).read_text().strip() == str(os.getpid())
    with pytest.raises(UserError, match=rf"is in use by another build \(pid {os.getpid()}\)"):
        OutputLock.acquire(tmp_path)
    first.release()
    assert not (tmp_path / LOCK_NAME).exists()
    OutputLock.acquire(tmp_path).release()


def test_a_lock_file_left_by_a_dead_process_does_not_block(tmp_path):
    (tmp_path / LOCK_NAME).write_text("999999999\n")  # what a kill -9 leaves: nobody's flock
    lock = OutputLock.acquire(tmp_path)
    assert (tmp_path / LOCK_NAME).read_text().strip() == str(os.getpid())
    lock.release()


def test_two_builds_into_one_directory(tmp_path):
    repo = many_commits(tmp_path / "repo", 300)
    out = tmp_path / "out"
    first = start_build(repo, out, "--workers", "2")
    try:
        owned = wait_for(lambda: (out / LOCK_NAME).is_file()
                         and (out / LOCK_NAME).read_text().strip() == str(first.pid), 60)  # fmt: skip
        assert owned, first.communicate()
        line = one_error_line(run_cli("build", "commits", str(repo), "--out", str(out)))
        assert line == f"repomill: error: {out} is in use by another build (pid {first.pid})"
    finally:
        _, stderr = first.communicate(timeout=120)
    assert first.returncode == 0, stderr
    manifest = json.loads((out / "manifest.json").read_text())
    written = {p.name.split("-")[0]: pq.read_metadata(p).num_rows
               for p in (out / "dataset" / "data").glob("*.parquet")}  # fmt: skip
    assert written == {k: v for k, v in manifest["counts"]["splits"].items() if v}
    assert sum(written.values()) > 0
    assert not (out / LOCK_NAME).exists() and not (out / ".work").exists()


@pytest.mark.parametrize("command", ["index", "report"])
def test_every_command_that_writes_a_directory_takes_the_lock(tmp_path, command):
    repo = make_repo(tmp_path / "repo", PYTHON)
    out = tmp_path / "out"
    out.mkdir()
    lock = OutputLock.acquire(out)
    try:
        args = (
            ["index", str(repo), "--out", str(out)] if command == "index" else ["report", str(out)]
        )
        line = one_error_line(run_cli(*args))
    finally:
        lock.release()
    assert line == f"repomill: error: {out} is in use by another build (pid {os.getpid()})"
    assert sorted(p.name for p in out.iterdir()) == []


# --- kill -9 ----------------------------------------------------------------------------


def test_killing_a_build_leaves_no_process_behind(tmp_path):
    repo = many_commits(tmp_path / "repo", 300)
    out = tmp_path / "out"
    marker = uuid.uuid4().hex
    build = start_build(repo, out, "--workers", "2", marker=marker)
    try:
        # the build, the resource tracker, the forkserver and at least one worker
        started = wait_for(lambda: len(marked_processes(marker)) >= 4 or build.poll() is not None,
                           60)  # fmt: skip
        assert started and build.poll() is None, "the build ended before its workers started"
        os.kill(build.pid, signal.SIGKILL)
        build.wait()
        assert wait_for(lambda: not marked_processes(marker), 10), marked_processes(marker)
    finally:
        for pid in marked_processes(marker):  # only what this test started
            os.kill(pid, signal.SIGKILL)
        build.communicate()
    # the killed build's lock file is still there, and blocks nobody
    assert (out / LOCK_NAME).is_file()
    again = run_cli(
        "build", "commits", str(repo), "--out", str(out), "--max-commits", "5", "--quiet"
    )
    assert again.returncode == 0, again.stderr


@pytest.mark.parametrize("pidfd", [True, False], ids=["pidfd", "polling"])
def test_a_watcher_kills_its_process_when_the_watched_one_ends(pidfd):
    watched = subprocess.Popen(["sleep", "60"])
    setup = "" if pidfd else "del os.pidfd_open; "  # as where pidfd_open is missing
    code = (
        f"import os; {setup}from repomill.engine.parent_watch import _watch; _watch({watched.pid})"
    )
    watcher = subprocess.Popen([sys.executable, "-c", code])
    try:
        time.sleep(0.5)
        assert watcher.poll() is None  # still watching
        watched.kill()
        watched.wait()
        assert watcher.wait(timeout=10) == -signal.SIGKILL
    finally:
        watched.kill()
        watcher.kill()


# --- a full disk ------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MiB tmpfs (root only), unmounted afterwards."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)],
                             capture_output=True)  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {mounted.stderr.decode().strip()}")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_full_disk_is_one_line_and_the_build_resumes_after(tmp_path, small_disk):
    repo = many_commits(tmp_path / "repo", 150)
    out = small_disk / "out"
    done = run_cli("build", "commits", str(repo), "--out", str(out), "--workers", "2", "--quiet")
    line = one_error_line(done)
    assert line.startswith(f"repomill: error: no space left on device writing {out}"), line
    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
    again = run_cli("build", "commits", str(repo), "--out", str(out), "--workers", "2", "--quiet")
    assert again.returncode == 0, again.stderr
    assert (out / "dataset" / "data" / "train-00000-of-00001.parquet").is_file()


def test_a_full_disk_names_the_file_or_else_the_output_directory(tmp_path, capsys):
    out = tmp_path / "out"

    @user_errors
    def full(code: int, where: str | None) -> None:
        output_dir(out)
        raise OSError(code, os.strerror(code), where)

    cases = [(errno.ENOSPC, "/data/x.parquet", "no space left on device writing /data/x.parquet"),
             (errno.ENOSPC, None, f"no space left on device writing {out}"),  # as from pyarrow
             (errno.EDQUOT, None, f"disk quota exceeded writing {out}")]  # fmt: skip
    for code, where, message in cases:
        with pytest.raises(typer.Exit) as exited:
            full(code, where)
        assert exited.value.exit_code == 2
        assert capsys.readouterr().err == f"repomill: error: {message}\n"
        assert not (out / LOCK_NAME).exists()  # released however the command ends


# --- builds that keep nothing -----------------------------------------------------------


def test_since_past_the_last_commit_fails_and_leaves_no_data(tmp_path):
    repo = make_repo(tmp_path / "repo", PYTHON)
    commit(repo, {"src/shop/extra.py": "def extra(order):\n    return order.total * 2\n"},
           "Add an extra helper for orders", when=T0)  # fmt: skip
    out = tmp_path / "out"
    first = run_cli("build", "commits", str(repo), "--out", str(out), "--quiet")
    assert first.returncode == 0 and (out / "dataset" / "data").is_dir(), first.stderr
    line = one_error_line(
        run_cli("build", "commits", str(repo), "--out", str(out), "--since", "2100-01-01")
    )
    assert line == "repomill: error: nothing to export: no commits in the range"
    assert not (out / "dataset" / "data").exists()  # the earlier build's splits do not stay behind
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["commits_listed"] == 0 and manifest["counts"]["examples"] == 0
    assert (out / "rejected.parquet").is_file() and not (out / LOCK_NAME).exists()


def test_all_commits_filtered_names_the_reasons(tmp_path):
    repo = make_repo(tmp_path / "repo", PYTHON)  # "initial": too short
    commit(repo, {"src/shop/extra.py": "def extra():\n    return 2\n"}, "wip")
    out = tmp_path / "out"
    line = one_error_line(run_cli("build", "commits", str(repo), "--out", str(out), "--quiet"))
    assert line.startswith("repomill: error: nothing to export: of 2 commits listed, "
                           "0 passed the commit filters (top reasons: "), line  # fmt: skip
    assert "message_too_short: 1" in line and "uninformative_message: 1" in line
    assert line.endswith(f"see {out / 'rejected.parquet'})")
    assert len(pq.read_table(out / "rejected.parquet")) == 2
    assert not (out / "dataset" / "data").exists()


def test_self_align_without_seeds_fails(tmp_path):
    repo = make_repo(tmp_path / "repo", {"settings.py": "DEBUG = True\n"})
    out = tmp_path / "out"
    done = run_cli("build", "self-align", str(repo), "--out", str(out), "--llm",
                   "openai", "--base-url", "http://127.0.0.1:9/v1", "--model", "m",
                   "--unsafe-no-sandbox", "--quiet")  # fmt: skip
    line = one_error_line(done)
    assert line == "repomill: error: nothing to export: no seed candidates in the repository"
    assert (out / "manifest.json").is_file() and not (out / "dataset" / "data").exists()


def test_a_writer_with_no_rows_writes_no_data_folder(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train-00000-of-00001.parquet").write_bytes(b"from an older build")
    writer = DatasetWriter(tmp_path, sample_schema(RECIPES["commits"].columns), "parquet")
    assert writer.write(writer.cut(0.1, 0.1)) == {"train": 0, "validation": 0, "test": 0}
    write_rejected(tmp_path, [], "parquet")
    assert not (tmp_path / "data").exists()
    assert pq.read_table(tmp_path / "rejected.parquet").num_rows == 0
