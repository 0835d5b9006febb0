"""The verification cache: a re-run verifies only what it has not verified with the same
inputs, answers in job order, stores no verdict of sandbox trouble, survives a damaged
file, and never lets a new job past the sandbox."""

from __future__ import annotations

import dataclasses
import sqlite3
import threading
import time

import pytest

from repomill.verify import cached, runners, sandbox
from repomill.verify.cached import Job, VerifyStats, verify_all
from repomill.verify.sandbox import Execution, Limits
from repomill.verify.verdict import Verdict

LIMITS = Limits(wall_seconds=20, cpu_seconds=20)
ADD = "def add(a, b):\n    return a + b\n"
TESTS = "assert add(2, 2) == 4\nassert add(1, 2) == 3\n"
JOB = Job("python", ADD, TESTS)
needs_bwrap = pytest.mark.skipif(sandbox.bwrap_path() is None,
                                 reason="bubblewrap is not installed (.ci/run installs it)")  # fmt: skip


class Counting:
    """A stand-in for verify_response: the verdict names the code; calls are counted."""

    def __init__(self, verdict=None):
        self.calls: list[tuple] = []
        self.lock = threading.Lock()
        self.verdict = verdict

    def __call__(self, language, code, tests, limits, unsafe=False, library=None):
        with self.lock:
            self.calls.append((language, code, tests, limits, unsafe))
        time.sleep(0.01 * (len(code) % 3))  # finish out of order
        if self.verdict is not None:
            return self.verdict
        return Verdict(f"seen {code}", Execution("failed", 1, "out", "err", 0.5, "x"), 2)


@pytest.fixture
def fake(monkeypatch):
    counting = Counting()
    monkeypatch.setattr(cached, "verify_response", counting)
    return counting


def test_a_second_call_runs_nothing(fake, tmp_path):
    path = tmp_path / "verify.sqlite"
    jobs = [Job("python", f"code {i}", "tests") for i in range(7)]
    first = verify_all(jobs, LIMITS, workers=3, cache_path=path)
    stats = VerifyStats()
    again = verify_all(jobs, LIMITS, workers=3, cache_path=path, stats=stats)
    assert len(fake.calls) == 7
    assert again == first
    assert [v.reason for v in again] == [f"seen code {i}" for i in range(7)]
    assert stats == VerifyStats(cached=7, executed=0, not_stored=0)


def test_without_a_path_nothing_is_kept(fake):
    verify_all([JOB], LIMITS)
    verify_all([JOB], LIMITS)
    assert len(fake.calls) == 2


def _changed_limits():
    for field in dataclasses.fields(Limits):
        value = getattr(LIMITS, field.name)
        yield pytest.param(dataclasses.replace(LIMITS, **{field.name: value + 1}), id=field.name)


@pytest.mark.parametrize("limits", list(_changed_limits()))
def test_each_limit_is_part_of_the_key(fake, tmp_path, limits):
    path = tmp_path / "verify.sqlite"
    verify_all([JOB], LIMITS, cache_path=path)
    verify_all([JOB], limits, cache_path=path)
    assert [call[3] for call in fake.calls] == [LIMITS, limits]


@pytest.mark.parametrize("change", [
    {"language": "javascript"}, {"code": ADD + "\n"}, {"tests": TESTS + "#\n"},
])  # fmt: skip
def test_a_changed_job_runs_again(fake, tmp_path, change):
    path = tmp_path / "verify.sqlite"
    changed = JOB._replace(**change)
    verify_all([JOB], LIMITS, cache_path=path)
    verify_all([changed, JOB], LIMITS, cache_path=path)
    assert [call[:3] for call in fake.calls] == [tuple(JOB)[:3], tuple(changed)[:3]]


def test_the_unsafe_flag_and_the_runner_version_are_part_of_the_key(fake, tmp_path,
                                                                    monkeypatch):  # fmt: skip
    path = tmp_path / "verify.sqlite"
    verify_all([JOB], LIMITS, cache_path=path)
    verify_all([JOB], LIMITS, unsafe_no_sandbox=True, cache_path=path)
    monkeypatch.setattr(cached, "RUNNER_VERSION", cached.RUNNER_VERSION + 1)
    verify_all([JOB], LIMITS, cache_path=path)
    assert [call[4] for call in fake.calls] == [False, True, False]


def test_results_follow_the_jobs_and_duplicates_run_once(fake, tmp_path):
    codes = ["b", "aa", "b", "ccc", "aa", "b", "dddd"]
    jobs = [Job("python", code, "t") for code in codes]
    stats = VerifyStats()
    verdicts = verify_all(jobs, LIMITS, workers=4, cache_path=tmp_path / "v.sqlite",
                          stats=stats)  # fmt: skip
    assert [v.reason for v in verdicts] == [f"seen {code}" for code in codes]
    assert sorted(call[1] for call in fake.calls) == ["aa", "b", "ccc", "dddd"]
    assert stats == VerifyStats(cached=0, executed=4)
    mixed = [Job("python", code, "t") for code in ["e", "b", "e", "dddd"]]
    verdicts = verify_all(mixed, LIMITS, workers=4, cache_path=tmp_path / "v.sqlite",
                          stats=stats)  # fmt: skip
    assert [v.reason for v in verdicts] == ["seen e", "seen b", "seen e", "seen dddd"]
    assert stats == VerifyStats(cached=2, executed=1)


def test_sandbox_trouble_is_not_stored_but_a_timeout_is(monkeypatch, tmp_path):
    path = tmp_path / "verify.sqlite"
    trouble = Verdict(
        "tests_failed",
        Execution(
            "failed", 1, "", "bwrap: setting up uid map: Permission denied\n", 0.01, "bwrap: …"
        ),
    )
    timeout = Verdict("timeout", Execution("timeout", -9, "", "", 20.0, "timeout"))
    for verdict, runs in ((trouble, 2), (timeout, 1)):
        counting = Counting(verdict)
        monkeypatch.setattr(cached, "verify_response", counting)
        stats = VerifyStats()
        assert verify_all([JOB], LIMITS, cache_path=path, stats=stats) == [verdict]
        assert stats.not_stored == (verdict is trouble)
        assert verify_all([JOB], LIMITS, cache_path=path) == [verdict]
        assert len(counting.calls) == runs
        path.unlink()


def test_an_error_in_a_run_is_raised(monkeypatch, tmp_path):
    def broken(*args):
        raise RuntimeError("no runner")

    monkeypatch.setattr(cached, "verify_response", broken)
    with pytest.raises(RuntimeError, match="no runner"):
        verify_all([JOB, JOB._replace(code="x")], LIMITS, workers=2, cache_path=tmp_path / "v")


def test_a_file_that_is_not_a_database_is_moved_aside(fake, tmp_path, capsys):
    path = tmp_path / "verify.sqlite"
    path.write_bytes(b"\x00garbage, not SQLite" * 500)
    verify_all([JOB], LIMITS, cache_path=path)
    assert "damaged" in capsys.readouterr().err
    assert (tmp_path / "verify.sqlite.damaged").exists()
    verify_all([JOB], LIMITS, cache_path=path)
    assert len(fake.calls) == 1
    assert capsys.readouterr().err == ""


def test_a_table_of_another_shape_is_started_again(fake, tmp_path, capsys):
    path = tmp_path / "verify.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE verdicts (key TEXT PRIMARY KEY, passed INTEGER)")
        db.execute("INSERT INTO verdicts VALUES ('x', 1)")
    verify_all([JOB], LIMITS, cache_path=path)
    verify_all([JOB], LIMITS, cache_path=path)
    assert len(fake.calls) == 1
    assert "damaged" in capsys.readouterr().err


def test_a_damaged_row_is_never_trusted(fake, tmp_path, capsys):
    path = tmp_path / "verify.sqlite"
    verify_all([JOB, JOB._replace(code="other")], LIMITS, cache_path=path)
    with sqlite3.connect(path) as db:  # a pass written over the first row's verdict
        db.execute("UPDATE verdicts SET verdict = replace(verdict, 'seen ', '') "
                   "WHERE verdict LIKE '%def add%'")  # fmt: skip
        db.execute("UPDATE verdicts SET verdict = '{' WHERE verdict LIKE '%other%'")
    verdicts = verify_all([JOB, JOB._replace(code="other")], LIMITS, cache_path=path)
    assert [v.reason for v in verdicts] == [f"seen {ADD}", "seen other"]
    assert len(fake.calls) == 4
    assert "2 damaged entries" in capsys.readouterr().err
    verify_all([JOB], LIMITS, cache_path=path)  # the recomputed rows replaced them
    assert len(fake.calls) == 4


def test_an_unusable_path_verifies_without_a_cache(fake, tmp_path, capsys):
    path = tmp_path / "a folder"
    path.mkdir()
    assert verify_all([JOB, JOB], LIMITS, cache_path=path)[0].reason == f"seen {ADD}"
    verify_all([JOB], LIMITS, cache_path=path)
    assert len(fake.calls) == 2
    assert "cannot be used" in capsys.readouterr().err


def test_verdicts_go_to_json_and_back():
    for verdict in (Verdict("no_test_calls"),
                    Verdict("", Execution("passed", 0, "ok\n", "", 1.25), 3),
                    Verdict("timeout", Execution("timeout", None, "", "é", 2, "timeout"))):  # fmt: skip
        assert Verdict.from_json(verdict.to_json()) == verdict
    good = Verdict("", Execution("passed", 0, "", "", 1.0), 1).to_json()
    for bad in ({**good, "reason": None}, {**good, "mutants_run": True}, {**good, "extra": 1},
                {**good, "execution": {**good["execution"], "exit_code": "0"}},
                {**good, "execution": {"status": "passed"}}, [], None):  # fmt: skip
        with pytest.raises(ValueError):
            Verdict.from_json(bad)


class SandboxRuns:
    """Counts runs in the real sandbox (one-shot or warm), which still run."""

    def __init__(self, monkeypatch):
        self.count = 0
        self.lock = threading.Lock()
        for name in ("run_sandboxed", "run_warm"):
            monkeypatch.setattr(runners, name, self._counting(getattr(runners, name)))

    def _counting(self, real):
        def run(*args, **kwargs):
            with self.lock:
                self.count += 1
            return real(*args, **kwargs)

        return run


@needs_bwrap
def test_real_verdicts_are_reused_and_hostile_code_still_runs_sandboxed(monkeypatch,
                                                                       tmp_path):  # fmt: skip
    path = tmp_path / "verify.sqlite"
    marker = tmp_path / "escaped"
    runs = SandboxRuns(monkeypatch)
    failing = JOB._replace(tests="assert add(2, 2) == 5\n")
    first = verify_all([JOB, failing], LIMITS, workers=2, cache_path=path)
    assert [v.reason for v in first] == ["", "tests_failed"]
    assert first[0].mutants_run > 0
    assert runs.count == 1 + first[0].mutants_run + 1
    assert verify_all([JOB, failing], LIMITS, workers=2, cache_path=path) == first
    assert runs.count == 1 + first[0].mutants_run + 1  # nothing ran again
    hostile = JOB._replace(code=ADD + f"open({str(marker)!r}, 'w').write('out')\n"
                                      f"open({str(path)!r}, 'wb').write(b'poison')\n")  # fmt: skip
    before = runs.count
    [verdict] = verify_all([hostile], LIMITS, cache_path=path)
    assert runs.count > before  # a new key is verified, in the sandbox
    assert verdict.reason == "tests_failed"
    assert "No such file or directory" in verdict.execution.stderr
    assert not marker.exists()
    assert verify_all([JOB], LIMITS, cache_path=path) == first[:1]  # the file is intact


@needs_bwrap
def test_a_sandbox_that_cannot_start_is_not_cached(monkeypatch, tmp_path):
    broken = tmp_path / "bwrap"
    broken.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\n"
                      "exit 1\n")  # fmt: skip
    broken.chmod(0o755)
    monkeypatch.setattr(sandbox, "bwrap_path", lambda: str(broken))
    path = tmp_path / "verify.sqlite"
    stats = VerifyStats()
    [verdict] = verify_all([JOB], LIMITS, cache_path=path, stats=stats)
    assert verdict.reason == "tests_failed" and stats.not_stored == 1, verdict
    runs = SandboxRuns(monkeypatch)
    verify_all([JOB], LIMITS, cache_path=path)
    assert runs.count == 1
