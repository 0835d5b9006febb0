import hashlib
from pathlib import Path

import pytest

from repomill.code.build import build_index
from repomill.code.settings import IndexConfig
from repomill.code.writer import write_index
from repomill.engine.cache import ShardCache
from repomill.engine.executors import make_executor
from repomill.engine.runner import run_stage
from repomill.engine.sharding import content_defined_shards
from repomill.engine.stage import ShardResult, Stage
from repomill.sources import open_source

from .conftest import make_repo


class Squares(Stage):
    """Squares numbers; raises on `fail_on` to simulate a crash mid-run."""

    name = "squares"

    def __init__(self, fail_on: int | None = None, calls: list | None = None):
        self.fail_on = fail_on
        self.calls = calls if calls is not None else []

    def process(self, items):
        self.calls.append(list(items))
        if self.fail_on in items:
            raise RuntimeError("crash")
        result = ShardResult([{"n": n, "square": n * n} for n in items])
        result.skipped.update(["odd"] * sum(n % 2 for n in items))
        return result


def test_rerun_after_a_crash_recomputes_only_unfinished_shards(tmp_path):
    shards = [[1, 2], [3, 4], [5, 6], [7, 8]]
    cache = ShardCache(tmp_path / "cache")
    with pytest.raises(RuntimeError):
        run_stage(Squares(fail_on=5), shards, make_executor(1), cache, show_progress=False)
    stage = Squares()
    records, run = run_stage(stage, shards, make_executor(1), cache, show_progress=False)
    assert stage.calls == [[5, 6], [7, 8]]  # the two shards before the crash were cached
    assert run.shards_cached == 2
    assert [r["n"] for r in records] == list(range(1, 9))
    assert run.skipped["odd"] == 4
    assert not list((tmp_path / "cache").rglob(".tmp-*"))  # no partial files left behind


def test_config_change_invalidates_the_cache(tmp_path):
    class Scaled(Squares):
        def __init__(self, factor):
            super().__init__()
            self.factor = factor

        def config(self):
            return {"factor": self.factor}

    cache = ShardCache(tmp_path / "cache")
    run_stage(Scaled(2), [[1]], make_executor(1), cache, show_progress=False)
    _, again = run_stage(Scaled(2), [[1]], make_executor(1), cache, show_progress=False)
    _, changed = run_stage(Scaled(3), [[1]], make_executor(1), cache, show_progress=False)
    assert again.shards_cached == 1 and changed.shards_cached == 0


def test_damaged_cache_entry_is_recomputed(tmp_path):
    cache = ShardCache(tmp_path / "cache")
    run_stage(Squares(), [[1]], make_executor(1), cache, show_progress=False)
    for path in (tmp_path / "cache").rglob("*.json"):
        path.write_text("{truncated")
    records, run = run_stage(Squares(), [[1]], make_executor(1), cache, show_progress=False)
    assert run.shards_cached == 0 and records == [{"n": 1, "square": 1}]


def test_process_pool_gives_the_same_records_in_order():
    shards = [[i, i + 1] for i in range(0, 40, 2)]
    serial, _ = run_stage(Squares(), shards, make_executor(1), ShardCache(None), False)
    executor = make_executor(2)
    try:
        pooled, _ = run_stage(Squares(), shards, executor, ShardCache(None), False)
    finally:
        executor.close()
    assert pooled == serial


def test_content_defined_shards_are_stable_under_insertion():
    items = [f"src/file_{i:04d}.py" for i in range(500)]
    before = content_defined_shards(items, str, average=8, maximum=32)
    after = content_defined_shards(sorted(items + ["src/file_0250a.py"]), str, 8, 32)
    assert sum(len(s) for s in before) == 500
    changed = {tuple(s) for s in after} - {tuple(s) for s in before}
    assert len(changed) == 1  # only the shard that received the new file


def digest(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in directory.glob("*.parquet")}


def test_output_is_byte_identical_across_reruns_and_worker_counts(tmp_path):
    files = {f"pkg/m{i}.py": f"def f{i}(x):\n    return x + {i}\n" for i in range(40)}
    repo = make_repo(tmp_path / "r", files)
    outputs = []
    for name, workers in (("a", 1), ("a", 1), ("b", 2)):
        out = tmp_path / name
        built = build_index(open_source(repo), IndexConfig(workers=workers, shard_files=4), out,
                            show_progress=False)  # fmt: skip
        write_index(out, built.index, built.file_records)
        outputs.append((digest(out), built.manifest.stages["index_files"].shards_cached))
    assert outputs[0][0] == outputs[1][0] == outputs[2][0]
    assert len(outputs[0][0]) == 4
    assert outputs[0][1] == 0 and outputs[1][1] > 0  # the rerun came from the cache
