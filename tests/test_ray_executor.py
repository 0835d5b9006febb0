"""`--executor ray` in local mode: the same records and the same dataset bytes as the local
executor, per-worker state built once per worker, a killed worker's shards run again, and
one-line errors where Ray is missing or a cluster does not answer."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from repomill.code.settings import IndexConfig
from repomill.engine import ShardResult, Stage
from repomill.engine.cache import ShardCache
from repomill.engine.executors import SerialExecutor
from repomill.engine.runner import run_stage
from repomill.engine.settings import EngineConfig
from repomill.engine.stage import process_local
from repomill.errors import UserError
from repomill.llm.factory import LLMConfig
from repomill.recipes.commits.mine import MineCommitsStage
from repomill.recipes.commits.settings import CommitsConfig
from repomill.recipes.self_align.settings import SelfAlignConfig
from repomill.sources import open_source
from repomill.sources.git_history import list_commits
from repomill.verify import sandbox

from .builds import build_recipe
from .conftest import commit, make_repo
from .digests import dataset_digest
from .openai_server import FakeOpenAI
from .projects import PROJECTS
from .test_cli import run_cli
from .test_output_dir import many_commits, wait_for

ray = pytest.importorskip("ray")
from repomill.engine.ray_executor import RayExecutor  # noqa: E402  (needs ray)

RAY = EngineConfig(executor="ray")


@pytest.fixture(scope="module")
def ray_instance(tmp_path_factory):
    """One local Ray instance for the module (each start costs seconds); executors made
    while it runs use it and leave it running. Its workers' own clones go to a folder
    of the test's."""
    clones = {"REPOMILL_CLONES": str(tmp_path_factory.mktemp("worker-clones"))}
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR",
             runtime_env={"env_vars": clones})  # fmt: skip
    yield clones["REPOMILL_CLONES"]
    ray.shutdown()


@dataclass(frozen=True)
class Squares(Stage):
    name = "test.squares"
    pause: float = 0.0

    def process(self, items):
        time.sleep(self.pause)
        return ShardResult(records=[{"n": n, "square": n * n} for n in items])


def _lifetime_token() -> str:
    return f"{os.getpid()}-{time.monotonic_ns()}"


@dataclass(frozen=True)
class WhoRuns(Stage):
    """Records the per-process state each shard saw."""

    name = "test.who_runs"
    setup: str = process_local(_lifetime_token)

    def process(self, items):
        return ShardResult(records=[{"item": item, "setup": self.setup} for item in items])


@dataclass(frozen=True)
class KillsItsWorker(Stage):
    name = "test.kills_its_worker"

    def process(self, items):
        if 13 in items:
            os.kill(os.getpid(), signal.SIGKILL)
        return ShardResult(records=[{"n": n} for n in items])


@dataclass(frozen=True)
class FailsWhileMarked(Stage):
    """Item 13 fails while the file `marker` exists: a crash in the middle of a stage."""

    name = "test.fails_while_marked"
    cache_exclude = frozenset({"marker"})  # the crash does not change what a shard gives
    marker: str = ""

    def process(self, items):
        if 13 in items and Path(self.marker).exists():
            raise RuntimeError("crash in the middle of the stage")
        return ShardResult(records=[{"n": n} for n in items])


def _shards(count: int, size: int = 3) -> list[list[int]]:
    return [list(range(start, start + size)) for start in range(0, count * size, size)]


# These two come first: they need no Ray instance running (the module's starts with the
# first test that asks for `ray_instance`).


def test_without_ray_installed_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    with pytest.raises(UserError, match=r"needs Ray: pip install 'repomill\[ray\]'"):
        RayExecutor(2, None)


@pytest.mark.parametrize(("address", "message"), [
    ("127.0.0.1:{port}", "nothing answers there"),
    ("ray://127.0.0.1:{port}", "nothing answers there"),
    ("my-cluster", "expected auto, HOST:PORT or ray://HOST:PORT"),
])  # fmt: skip
def test_a_cluster_address_that_does_not_answer_is_a_one_line_error(address, message):
    with socket.socket() as unused:  # a port nothing listens on once this one closes
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with pytest.raises(UserError, match=message):
        RayExecutor(2, address.format(port=port))
    assert not ray.is_initialized()


def test_ray_gives_the_records_of_the_serial_executor_in_order(ray_instance):
    shards = _shards(12)
    serial, _ = run_stage(Squares(), shards, SerialExecutor(), ShardCache(None), False)
    executor = RayExecutor(2, None)
    try:
        on_ray, run = run_stage(Squares(), shards, executor, ShardCache(None), False)
    finally:
        executor.close()
    assert on_ray == serial and run.shards == 12
    assert ray.is_initialized()  # not its own instance: left running


def test_per_worker_state_is_built_once_per_worker_not_per_shard(ray_instance):
    executor = RayExecutor(2, None)
    try:
        records, _ = run_stage(WhoRuns(), _shards(20), executor, ShardCache(None), False)
    finally:
        executor.close()
    setups = {record["setup"] for record in records}
    assert 1 <= len(setups) <= 2  # 20 shards, 2 workers
    assert all(setup.split("-")[0] != str(os.getpid()) for setup in setups)  # ran on workers


def test_a_killed_worker_reruns_its_shards_and_the_records_are_the_same(ray_instance):
    shards = _shards(16)
    expected, _ = run_stage(Squares(), shards, SerialExecutor(), ShardCache(None), False)
    executor = RayExecutor(2, None)
    try:
        before = executor.worker_pids()
        results = executor.map(Squares(pause=0.3), shards)
        got = [next(results)]
        for pid in before:  # both workers, with shards in flight on each
            os.kill(pid, signal.SIGKILL)
        got += list(results)
        after = executor.worker_pids()
    finally:
        executor.close()
    assert not set(before) & set(after)  # both restarted
    assert sorted(index for index, _ in got) == list(range(16))
    records = [r for _, result in sorted(got, key=lambda pair: pair[0]) for r in result.records]
    assert records == expected


def test_a_shard_that_always_kills_its_worker_is_a_one_line_error(ray_instance):
    executor = RayExecutor(2, None)
    try:
        with pytest.raises(UserError, match=r"stage test.kills_its_worker: .* died 3 times"):
            run_stage(KillsItsWorker(), _shards(8), executor, ShardCache(None), False)
    finally:
        executor.close()


def test_a_rerun_after_a_crash_on_ray_computes_only_the_unfinished_shards(ray_instance,
                                                                           tmp_path):  # fmt: skip
    marker = tmp_path / "crash"
    marker.touch()
    shards, cache = _shards(12), ShardCache(tmp_path / "cache")
    executor = RayExecutor(2, None)
    try:
        with pytest.raises(RuntimeError, match="crash in the middle"):
            run_stage(FailsWhileMarked(str(marker)), shards, executor, cache, False)
        marker.unlink()
        records, run = run_stage(FailsWhileMarked(str(marker)), shards, executor, cache, False)
    finally:
        executor.close()
    assert 0 < run.shards_cached < 12  # what finished before the crash is not redone
    assert [r["n"] for r in records] == list(range(36))


# --- whole builds: the dataset's bytes ---


def _history(root: Path, language: str) -> Path:
    """A repository with 12 commits, each changing the number in the project's target."""
    files, target, *_ = PROJECTS[language]
    make_repo(root, files, "Start the project with its first modules")
    for n in range(12):
        changed = re.sub(r"\d+(?=\D*$)", str(20 + n), files[target])  # the last number
        commit(root, {target: changed, f"notes/change_{n}.md": f"change {n}\n"},
               f"Use step {20 + n} in the target and record why in the notes",
               when=1_700_000_000 + 3600 * n)  # fmt: skip
    return root


def test_ray_workers_that_do_not_see_the_path_mine_their_own_clone_of_the_url(ray_instance,
                                                                           tmp_path):  # fmt: skip
    repo = _history(tmp_path / "repo", "python")
    seen = open_source(repo)
    unseen = replace(seen, root="/nowhere/on/the/workers", url=f"file://{repo}")
    metas, _ = list_commits(str(repo), seen.commit)
    shards = [[meta.to_json() for meta in metas[n : n + 3]] for n in range(0, len(metas), 3)]
    stage = MineCommitsStage(unseen, 100, 1000, 100_000, 4000)
    executor = RayExecutor(2, None)
    try:
        on_ray, _ = run_stage(stage, shards, executor, ShardCache(None), False)
    finally:
        executor.close()
    local, _ = run_stage(replace(stage, source=seen), shards, SerialExecutor(), ShardCache(None),
                         False)  # fmt: skip
    assert on_ray == local and sum(record["status"] == "ok" for record in on_ray) >= 10
    assert list(Path(ray_instance).glob("repo-*.git"))  # the workers' clone


def _dataset_bytes(out: Path) -> dict[str, bytes]:
    folder = out / "dataset"
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}  # fmt: skip


def run_ray_build(recipe: str, repo: Path, out: Path, settings, **kwargs):
    from repomill.curate.settings import CurateConfig
    from repomill.recipes.registry import RECIPES
    from repomill.recipes.run import run_recipe
    from repomill.sources import open_source

    curate = kwargs.pop("curate", CurateConfig())
    return run_recipe(RECIPES[recipe], open_source(repo), settings, IndexConfig(workers=2),
                      curate, kwargs.pop("llm", None), out, False, RAY)  # fmt: skip


@pytest.mark.parametrize("language", ["python", "typescript"])
def test_a_commit_build_on_ray_writes_the_bytes_of_a_local_build(ray_instance, tmp_path,
                                                                  language):  # fmt: skip
    repo = _history(tmp_path / "repo", language)
    settings = CommitsConfig(shard_commits=2)
    local = build_recipe("commits", repo, tmp_path / "local", settings,
                         index=IndexConfig(workers=2))  # fmt: skip
    on_ray = run_ray_build("commits", repo, tmp_path / "ray", settings)
    assert local.counts["examples"] >= 10
    assert on_ray.stages["mine_commits"].shards > 2
    assert _dataset_bytes(tmp_path / "ray") == _dataset_bytes(tmp_path / "local")
    assert on_ray.to_json()["config"]["engine"]["executor"] == "ray"


def test_a_worker_killed_mid_build_changes_nothing_in_the_dataset(ray_instance, tmp_path,
                                                                  monkeypatch):  # fmt: skip
    repo = _history(tmp_path / "repo", "python")
    settings = CommitsConfig(shard_commits=2)
    build_recipe("commits", repo, tmp_path / "local", settings)
    killed = []
    original = RayExecutor.map

    def map_then_kill(self, stage, shards):
        results = original(self, stage, shards)
        first = next(results, None)
        if first is not None and stage.name == "mine_commits" and not killed:
            killed.extend(self.worker_pids())
            for pid in killed:
                os.kill(pid, signal.SIGKILL)
        yield from ([first] if first is not None else [])
        yield from results

    monkeypatch.setattr(RayExecutor, "map", map_then_kill)
    manifest = run_ray_build("commits", repo, tmp_path / "ray", settings)
    assert killed and manifest.stages["mine_commits"].shards > 2
    assert _dataset_bytes(tmp_path / "ray") == _dataset_bytes(tmp_path / "local")


@pytest.mark.skipif(sandbox.bwrap_path() is None, reason="bubblewrap is missing")
def test_a_self_align_build_on_ray_writes_the_bytes_of_a_local_build(ray_instance, tmp_path,
                                                                     monkeypatch):  # fmt: skip
    """Its tests run in sandboxes on the Ray workers."""
    from repomill.curate.settings import CurateConfig

    from .test_self_align import PYTHON, TYPESCRIPT, script

    stages = []
    original = RayExecutor.map

    def recorded(self, stage, shards):
        stages.append((stage.name, sum(len(shard) for shard in shards)))
        return original(self, stage, shards)

    monkeypatch.setattr(RayExecutor, "map", recorded)

    repo = make_repo(tmp_path / "repo", {"lib/nums.py": PYTHON, "web/larger.ts": TYPESCRIPT})
    config = SelfAlignConfig(samples=3, validation=0, test=0)
    curate = CurateConfig(near_threshold=1.0)
    with FakeOpenAI(script=script) as server:
        llm = LLMConfig(backend="openai", base_url=server.url, model="fake", max_retries=1)
        local = build_recipe("self-align", repo, tmp_path / "local", config, llm=llm,
                             curate=curate)  # fmt: skip
        run_ray_build("self-align", repo, tmp_path / "ray", config, llm=llm, curate=curate)
    assert local.counts["examples"] >= 1
    assert _dataset_bytes(tmp_path / "ray") == _dataset_bytes(tmp_path / "local")
    assert [name for name, jobs in stages if jobs] == ["index_files", "verify"]


@pytest.mark.skipif(sandbox.bwrap_path() is None, reason="bubblewrap is missing")
def test_tests_run_on_ray_workers_see_nothing_of_ray(ray_instance):
    """A Ray worker's environment names its cluster, and its session folder holds the
    cluster's token: generated code run from that worker sees neither."""
    from repomill.verify.cached import Job, verify_all
    from repomill.verify.sandbox import Limits

    code = "import os\n\ndef leaked():\n    return sorted(k for k in os.environ if 'RAY' in k)\n"
    tests = ("import glob, os\nassert leaked() == [], leaked()\n"
             "assert not glob.glob('/tmp/ray/*'), glob.glob('/tmp/ray/*')\n"
             "assert not os.path.exists(os.path.expanduser('~/.ray')) or os.getuid() != 0\n"
             "try:\n    open('/root/.ray/auth_token').read()\n    raise SystemExit('token read')\n"
             "except OSError:\n    pass\n")  # fmt: skip
    executor = RayExecutor(2, None)
    try:
        (verdict,) = verify_all([Job("python", code, tests)], Limits(), executor=executor)
    finally:
        executor.close()
    assert verdict.passed, verdict.execution and verdict.execution.stderr[-500:]


def test_a_driver_killed_mid_build_then_run_again_writes_the_same_bytes(ray_instance, tmp_path):
    """The driver dies (kill -9) with the cluster left running, as on a real one; the re-run,
    from another staging folder, redoes no shard that reached the URL's shard cache."""
    repo = many_commits(tmp_path / "repo", 240)
    common = ("--shard-commits", "4", "--max-commits", "240", "--quiet")
    local = tmp_path / "local"
    assert run_cli("build", "commits", str(repo), "--out", str(local), *common).returncode == 0
    remote = tmp_path / "bucket/ds"
    args = ("build", "commits", str(repo), "--out", f"file://{remote}", "--executor", "ray",
            "--ray-address", ray.get_runtime_context().gcs_address, *common)  # fmt: skip
    env = {**os.environ, "REPOMILL_STAGING": str(tmp_path / "staging-1")}
    driver = subprocess.Popen([sys.executable, "-m", "repomill.cli", *args], env=env,
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)  # fmt: skip
    try:
        shards = remote / ".cache/mine_commits"
        started = wait_for(lambda: driver.poll() is not None or (shards.is_dir()
                                                                  and any(shards.rglob("*.json"))),
                           120)  # fmt: skip
        assert started and driver.poll() is None, "the build ended before it could be killed"
        os.kill(driver.pid, signal.SIGKILL)
    finally:
        driver.kill()
        driver.communicate()
    assert not (remote / "manifest.json").exists()  # nothing was published
    env["REPOMILL_STAGING"] = str(tmp_path / "staging-2")
    again = subprocess.run([sys.executable, "-m", "repomill.cli", *args], env=env,
                           capture_output=True, text=True, stdin=subprocess.DEVNULL)  # fmt: skip
    assert again.returncode == 0, again.stderr
    mined = json.loads((remote / "manifest.json").read_text())["stages"]["mine_commits"]
    assert 0 < mined["shards_cached"] < mined["shards"]  # killed mid-stage, not redone
    assert dataset_digest(remote) == dataset_digest(local)
    assert _dataset_bytes(remote) == _dataset_bytes(local)
