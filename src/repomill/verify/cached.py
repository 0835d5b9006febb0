"""Verification as a cached step: each response's verdict is stored under a hash of all
that decides it (language, code, tests, every `Limits` field, the unsafe flag, the runner's
definition and `RUNNER_VERSION`, a stamp of the toolchain and of the sandbox's mode), so a
re-run of a build runs only the tests it has not run before. A key the cache does not hold
is verified in the sandbox like any other; a hit is the verdict of an identical run.

The store is one SQLite file (WAL, one table) used from the calling thread only: workers
run `verify_response` and hand verdicts back, the caller reads and writes. Several
processes may share the file. Verdicts that come from sandbox trouble rather than from the
tests (`sandbox_trouble`) are returned but never stored. A damaged file is moved aside and
started again, an unusable one is left alone; either way the build goes on, verifies what
it cannot trust and says so in one warning."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NamedTuple

from repomill.engine.keys import canonical_json, stable_hash
from repomill.errors import warn
from repomill.verify import sandbox, seccomp, tools
from repomill.verify.runners import RUNNER_VERSION, RUNNERS
from repomill.verify.sandbox import Limits
from repomill.verify.verdict import Verdict, verify_response

_COLUMNS = ["key", "verdict", "digest"]
_CHUNK = 500  # keys per SELECT (SQLite's limit on parameters is 999 in old versions)
# First words of the errors the sandbox's own tools print when they cannot start a run.
_TROUBLE = ("bwrap: ", "prlimit: ", "setpriv: ", "sh: ", "/bin/sh: ", "/usr/bin/sh: ")


class Job(NamedTuple):
    language: str
    code: str
    tests: str


@dataclass
class VerifyStats:
    cached: int = 0  # jobs answered from the cache (duplicates of a hit included)
    executed: int = 0  # distinct jobs verified in the sandbox now
    not_stored: int = 0  # of those, verdicts left out of the cache (sandbox trouble)


def verify_all(jobs: list[Job], limits: Limits, unsafe_no_sandbox: bool = False,
               workers: int = 1, cache_path: Path | None = None,
               stats: VerifyStats | None = None) -> list[Verdict]:  # fmt: skip
    """The verdict of each job, in job order. Jobs the cache at `cache_path` (None: no
    cache) does not hold run in a pool of `workers` threads, each distinct job once."""
    stats = stats if stats is not None else VerifyStats()
    stamps = {language: _environment(language) for language in {job.language for job in jobs}}
    keys = [verdict_key(job, limits, unsafe_no_sandbox, stamps[job.language]) for job in jobs]
    cache = VerdictCache(cache_path)
    try:
        verdicts = cache.get_many(keys)
        stats.cached = sum(key in verdicts for key in keys)
        todo = {key: job for key, job in zip(keys, jobs, strict=True) if key not in verdicts}

        def done(key: str, verdict: Verdict) -> None:
            verdicts[key] = verdict
            if sandbox_trouble(verdict):
                stats.not_stored += 1
            else:
                cache.put(key, verdict)

        _run(todo, limits, unsafe_no_sandbox, workers, done)
        stats.executed = len(todo)
    finally:
        cache.close()
    return [verdicts[key] for key in keys]


def verdict_key(job: Job, limits: Limits, unsafe_no_sandbox: bool, environment: str) -> str:
    return stable_hash("verdict", str(RUNNER_VERSION), job.language, job.code, job.tests,
                       canonical_json(asdict(limits)), str(bool(unsafe_no_sandbox)),
                       environment)  # fmt: skip


def sandbox_trouble(verdict: Verdict) -> bool:
    """Whether the run failed because the sandbox could not start it (bwrap, prlimit or the
    control-group shell reporting an error, a missing interpreter), not because of the
    tests. Output that merely looks so is only left uncached: it is verified again."""
    execution = verdict.execution
    if execution is None or execution.status != "failed":
        return False  # a pass, a timeout or a limit's kill is the tests' own verdict
    first = next((line for line in execution.stderr.splitlines() if line.strip()), "")
    return first.startswith(_TROUBLE)


def _run(todo: dict[str, Job], limits: Limits, unsafe: bool, workers: int,
         done: Callable[[str, Verdict], None]) -> None:  # fmt: skip
    """Verify each job in parallel sandboxes; `done` is called in this thread."""
    if not todo:
        return
    with ThreadPoolExecutor(max(1, workers)) as pool:  # a hung run is killed by its timeout
        futures = {pool.submit(verify_response, job.language, job.code, job.tests, limits,
                               unsafe): key for key, job in todo.items()}  # fmt: skip
        try:
            for future in as_completed(futures):
                done(futures[future], future.result())
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def _environment(language: str) -> str:
    """What of this machine decides a verdict besides the job: the sandbox's mode and the
    runner's definition and tools (path, size and time of each binary: a package upgrade
    changes them), all read without running anything."""
    mode = {"bwrap": sandbox.bwrap_path() is not None, "root": os.geteuid() == 0,
            "seccomp": seccomp.filter_program() is not None}  # fmt: skip
    runner = RUNNERS.get(language)
    if runner is None:
        return canonical_json(mode)  # verify_response rejects the language itself
    binaries = [_stamp(tool) for tool in (runner.command[0], *runner.requires)]
    node = _node_packages() if runner.needs_node_tools else None
    return canonical_json({**mode, "runner": asdict(runner), "binaries": binaries,
                           "node": node})  # fmt: skip


def _stamp(path: str) -> list[Any]:
    try:
        info = os.stat(path)
    except OSError:
        return [path, None]
    return [os.path.realpath(path), info.st_size, info.st_mtime_ns]


def _node_packages() -> dict[str, Any]:
    """The installed versions of the tool directory's npm packages (None: not installed
    yet, then the first run installs them and the next build verifies again once)."""
    found: dict[str, Any] = {"wanted": list(tools.NPM_PACKAGES)}
    for spec in tools.NPM_PACKAGES:
        name = spec.rsplit("@", 1)[0]
        package = tools.tools_dir() / "node" / "node_modules" / name / "package.json"
        try:
            found[name] = json.loads(package.read_text(encoding="utf-8")).get("version")
        except (OSError, ValueError, AttributeError):
            found[name] = None
    return found


class VerdictCache:
    """Verdicts by key in one SQLite table; each row carries a digest of its key and text,
    so a row damaged on disk reads as missing. Not shared between threads."""

    def __init__(self, path: Path | None):
        """`path` None keeps nothing (every job is verified)."""
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._damaged_rows = 0
        if path is not None:
            self._guard(self._open, None)

    def get_many(self, keys: list[str]) -> dict[str, Verdict]:
        found: dict[str, Verdict] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), _CHUNK):
            chunk = unique[start : start + _CHUNK]
            rows = self._guard(lambda c=chunk: self._select(c), [])
            for key, text, digest in rows:
                verdict = _decode(key, text, digest)
                if verdict is None:
                    self._damaged_rows += 1
                else:
                    found[key] = verdict
        if self._damaged_rows:
            warn(f"verification cache {self.path}: {self._damaged_rows} damaged entries "
                 "ignored and verified again")  # fmt: skip
        return found

    def put(self, key: str, verdict: Verdict) -> None:
        text = json.dumps(verdict.to_json(), ensure_ascii=False, separators=(",", ":"))
        self._guard(lambda: self._insert(key, text), None)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _open(self) -> None:
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS verdicts "
                "(key TEXT PRIMARY KEY, verdict TEXT NOT NULL, digest TEXT NOT NULL)"
            )
            columns = [row[1] for row in db.execute("PRAGMA table_info(verdicts)")]
            if columns != _COLUMNS:  # a file of another program, or of another version
                raise sqlite3.DatabaseError(f"unexpected columns {columns}")
        except BaseException:
            db.close()
            raise
        self._db = db

    def _select(self, keys: list[str]) -> list[tuple[str, str, str]]:
        if self._db is None:
            return []
        marks = ",".join("?" * len(keys))
        query = f"SELECT key, verdict, digest FROM verdicts WHERE key IN ({marks})"
        return self._db.execute(query, keys).fetchall()

    def _insert(self, key: str, text: str) -> None:
        if self._db is not None:
            self._db.execute("INSERT OR REPLACE INTO verdicts VALUES (?, ?, ?)",
                             (key, text, stable_hash(key, text)))  # fmt: skip

    def _guard(self, action: Callable[[], Any], fallback: Any) -> Any:
        """Run `action`; on a database error, start a damaged file again (once) or stop
        using an unusable one, warn, and answer `fallback`."""
        try:
            return action()
        except sqlite3.OperationalError as error:  # locked, unreadable, read-only, I/O
            self.close()
            warn(f"verification cache {self.path} cannot be used ({error}): verifying "
                 "without it")  # fmt: skip
        except sqlite3.DatabaseError as error:  # not a database, malformed, not ours
            self.close()
            self._start_again(error)
        return fallback

    def _start_again(self, error: sqlite3.DatabaseError) -> None:
        assert self.path is not None
        aside = self.path.with_name(self.path.name + ".damaged")
        try:
            os.replace(self.path, aside)
            for suffix in ("-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            self._open()
        except (OSError, sqlite3.Error) as again:
            self.close()
            warn(f"verification cache {self.path} is damaged ({error}) and cannot be "
                 f"replaced ({again}): verifying without it")  # fmt: skip
            return
        warn(f"verification cache {self.path} is damaged ({error}): moved to {aside.name}, "
             "verifying again")  # fmt: skip


def _decode(key: str, text: Any, digest: Any) -> Verdict | None:
    if not isinstance(text, str) or digest != stable_hash(key, text):
        return None
    try:
        return Verdict.from_json(json.loads(text))
    except ValueError:  # json's errors included
        return None
