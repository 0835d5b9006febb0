import dataclasses
import hashlib
import pickle
from dataclasses import dataclass
from pathlib import Path

import pytest

from repomill.code.build import build_index
from repomill.code.index_stage import IndexFilesStage
from repomill.code.settings import IndexConfig
from repomill.code.writer import write_index
from repomill.engine.cache import ShardCache
from repomill.engine.executors import make_executor
from repomill.engine.runner import run_stage
from repomill.engine.sharding import content_defined_shards
from repomill.engine.stage import ShardResult, Stage, process_local
from repomill.recipes.commits.mine import MineCommitsStage
from repomill.sources import open_source
from repomill.sources.entries import SourceSpec

from .conftest import make_repo


@dataclass(frozen=True)
class Squares(Stage):
    """Squares numbers; raises on `fail_on` to simulate a crash mid-run."""

    name = "squares"
    # fail_on: a shard it hits fails, and any other gives the same records without it
    cache_exclude = frozenset({"fail_on"})

    fail_on: int | None = None
    calls: list = process_local(list)  # the shards this process ran

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
    @dataclass(frozen=True)
    class Scaled(Squares):
        factor: int = 1

    cache = ShardCache(tmp_path / "cache")
    run_stage(Scaled(factor=2), [[1]], make_executor(1), cache, show_progress=False)
    _, again = run_stage(Scaled(factor=2), [[1]], make_executor(1), cache, show_progress=False)
    _, changed = run_stage(Scaled(factor=3), [[1]], make_executor(1), cache, show_progress=False)
    assert again.shards_cached == 1 and changed.shards_cached == 0


STAGES = {
    "mine_commits": (
        MineCommitsStage(SourceSpec("/repo", True, "c0ffee"), 100, 1000, 100_000, 4000),
        {"source"},
    ),
    "index_files": (IndexFilesStage(SourceSpec("/repo", True, "c0ffee"), 4000), {"source"}),
}


def _other(value):
    """A different value of the same type."""
    if isinstance(value, SourceSpec):
        return SourceSpec(value.root + "-copy", value.is_git, "beef")
    return value + 1 if isinstance(value, int) else value + "-other"


@pytest.mark.parametrize("name", STAGES)
def test_every_field_but_the_excluded_ones_is_in_the_shard_key(name):
    stage, excluded = STAGES[name]
    assert stage.cache_exclude == excluded
    key = stage.shard_key([])
    settable = [f.name for f in dataclasses.fields(stage) if f.init]
    assert excluded < set(settable)
    for field_name in settable:
        changed = dataclasses.replace(stage, **{field_name: _other(getattr(stage, field_name))})
        assert (changed.shard_key([]) == key) == (field_name in excluded), field_name


@pytest.mark.parametrize("name", STAGES)
def test_an_unpickled_stage_has_the_same_key(name):
    stage, _ = STAGES[name]
    copy = pickle.loads(pickle.dumps(stage))
    assert copy == stage and copy.shard_key([]) == stage.shard_key([])


def test_process_caches_are_not_pickled():
    stage = MineCommitsStage(SourceSpec("/repo", True, "c0ffee"), 100, 1000, 100_000, 4000)
    stage._parsed["python:blob"] = (None, "binary")  # something this process learnt
    copy = pickle.loads(pickle.dumps(stage))
    assert not copy._parsed and copy._parser is not stage._parser
    assert copy.shard_key([]) == stage.shard_key([])


def test_a_stage_that_hides_settings_from_its_fields_is_refused():
    class NotADataclass(Squares):
        def __init__(self, factor):
            object.__setattr__(self, "factor", factor)

    with pytest.raises(TypeError, match="must be a @dataclass"):
        NotADataclass(2).shard_key([])

    @dataclass(frozen=True)
    class Hidden(Squares):
        def __post_init__(self):
            object.__setattr__(self, "factor", 2)  # changes output, yet no field

    with pytest.raises(TypeError, match="factor"):
        Hidden().shard_key([])


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
