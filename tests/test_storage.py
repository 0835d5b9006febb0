"""Where shards and outputs go: a folder or any fsspec URL. `--out URL` builds in a local
staging folder and copies the outputs to the URL, the same bytes as a local build; the
shard cache at URL/.cache lets a re-run from another machine redo no finished shard."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from repomill.engine.cache import ShardCache
from repomill.engine.stage import ShardResult
from repomill.engine.storage import FsspecStorage, LocalStorage, open_storage
from repomill.errors import UserError

from .conftest import commit, make_repo
from .digests import dataset_digest
from .projects import PROJECTS
from .test_cli import run_cli


@pytest.mark.parametrize("location", ["folder", "file://", "memory://"])
def test_storage_reads_what_it_wrote_and_answers_none_for_a_missing_key(tmp_path, location):
    where = {"folder": str(tmp_path / "s"), "file://": f"file://{tmp_path}/s",
             "memory://": f"memory://{tmp_path.name}/s"}[location]  # fmt: skip
    storage = open_storage(where)
    assert isinstance(storage, LocalStorage if location == "folder" else FsspecStorage)
    assert storage.read("stage/ab/key.json") is None and not storage.exists("stage/ab/key.json")
    storage.write("stage/ab/key.json", b'{"a": 1}')
    storage.write("stage/ab/key.json", b'{"a": 2}')  # a rewrite replaces it whole
    assert storage.read("stage/ab/key.json") == b'{"a": 2}'
    assert storage.exists("stage/ab/key.json") and not storage.exists("stage/ab")
    if location == "file://":  # no temporary file is left beside it
        assert [p.name for p in (tmp_path / "s/stage/ab").iterdir()] == ["key.json"]


def test_an_unknown_protocol_is_a_one_line_error():
    with pytest.raises(UserError, match=r"nosuch://bucket/x: cannot open it"):
        open_storage("nosuch://bucket/x")


def test_a_damaged_shard_in_a_url_cache_is_recomputed_not_trusted(tmp_path):
    cache = ShardCache(f"file://{tmp_path}/c")
    result = ShardResult(records=[{"n": 1}])
    cache.store("stage", "abcdef", result)
    assert cache.load("stage", "abcdef").records == [{"n": 1}]
    (tmp_path / "c/stage/ab/abcdef.json").write_bytes(b'{"records": [tru\xff')
    assert cache.has("stage", "abcdef") and cache.load("stage", "abcdef") is None


def _repo(root: Path) -> Path:
    files, target, *_ = PROJECTS["python"]
    make_repo(root, files, "Start the project with its first modules")
    for n in range(8):
        changed = re.sub(r"\d+(?=\D*$)", str(30 + n), files[target])
        commit(root, {target: changed}, f"Use step {30 + n} and explain why it is so",
               when=1_700_000_000 + 3600 * n)  # fmt: skip
    return root


def _stages(manifest: Path) -> dict:
    return json.loads(manifest.read_text())["stages"]


def test_out_url_writes_the_local_builds_bytes_and_a_rerun_elsewhere_redoes_no_shard(
    tmp_path, monkeypatch
):
    repo = _repo(tmp_path / "repo")
    local = tmp_path / "local"
    assert run_cli("build", "commits", str(repo), "--out", str(local), "--quiet").returncode == 0
    url = f"file://{tmp_path}/bucket/ds"
    remote = tmp_path / "bucket/ds"
    remote.mkdir(parents=True)
    (remote / "data").mkdir()
    (remote / "data/stale-00000-of-00009.parquet").write_bytes(b"an earlier build's file")

    monkeypatch.setenv("REPOMILL_STAGING", str(tmp_path / "machine-a"))
    done = run_cli("build", "commits", str(repo), "--out", url)
    assert done.returncode == 0, done.stderr
    assert url in "".join(
        (done.stdout + done.stderr).split()
    )  # the summary names where it went (wrapped)
    assert dataset_digest(remote) == dataset_digest(local)
    for name in ("dataset/README.md", "report.html"):
        assert (remote / name).is_file()
    dataset_files = sorted(p.relative_to(local).as_posix() for p in local.rglob("*.parquet"))
    assert sorted(p.relative_to(remote).as_posix() for p in remote.rglob("*.parquet")
                  if ".cache" not in p.parts) == dataset_files  # the stale file is gone  # fmt: skip
    for name in dataset_files:
        assert (remote / name).read_bytes() == (local / name).read_bytes()
    assert not (remote / ".lock").exists()
    first = _stages(remote / "manifest.json")
    assert first["mine_commits"]["shards_cached"] == 0
    assert any((remote / ".cache/mine_commits").rglob("*.json"))  # the shards are at URL

    monkeypatch.setenv("REPOMILL_STAGING", str(tmp_path / "machine-b"))  # another machine
    again = run_cli("build", "commits", str(repo), "--out", url, "--quiet")
    assert again.returncode == 0, again.stderr
    stages = _stages(remote / "manifest.json")
    assert stages["mine_commits"]["shards_cached"] == first["mine_commits"]["shards"] > 0
    assert dataset_digest(remote) == dataset_digest(local)


def test_shard_cache_may_be_a_folder_of_its_own(tmp_path):
    repo = _repo(tmp_path / "repo")
    shards = tmp_path / "shared-shards"
    for out in ("one", "two"):  # two output folders, one shard cache
        done = run_cli("build", "commits", str(repo), "--out", str(tmp_path / out),
                       "--shard-cache", str(shards), "--quiet")  # fmt: skip
        assert done.returncode == 0, done.stderr
    assert any((shards / "mine_commits").rglob("*.json"))
    assert not (tmp_path / "one/.cache/mine_commits").exists()
    two = _stages(tmp_path / "two/manifest.json")["mine_commits"]
    assert two["shards_cached"] == two["shards"] > 0
    assert dataset_digest(tmp_path / "one") == dataset_digest(tmp_path / "two")


def test_an_out_url_with_an_unknown_protocol_fails_in_one_line(tmp_path):
    repo = _repo(tmp_path / "repo")
    done = run_cli("build", "commits", str(repo), "--out", "nosuch://bucket/ds")
    assert done.returncode != 0
    assert "nosuch://bucket/ds: cannot open it" in done.stderr and "Traceback" not in done.stderr
