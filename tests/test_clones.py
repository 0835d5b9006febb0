"""A worker machine that does not see the driver's path reads the source from its own
clone of the source's URL: made once, fetched when a newer commit is asked for, and the
records are those of the driver's copy. A git URL as REPO is cloned once too."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from repomill.errors import UserError
from repomill.recipes.commits.mine import MineCommitsStage
from repomill.sources import open_source
from repomill.sources.clones import clones_dir, readable_root
from repomill.sources.files import list_entries, read_entry
from repomill.sources.git_history import list_commits

from .conftest import commit, git, make_repo
from .projects import PROJECTS
from .test_cli import run_cli


@pytest.fixture
def origin(tmp_path, monkeypatch):
    monkeypatch.setenv("REPOMILL_CLONES", str(tmp_path / "clones"))
    files, target, *_ = PROJECTS["python"]
    repo = make_repo(tmp_path / "origin", files, "Start the shop with its first modules")
    commit(repo, {target: files[target] + "\n\ndef later():\n    return 2\n"},
           "Add a later helper that the shop needs")  # fmt: skip
    return repo


def _unseen(repo: Path) -> object:
    """The source as a worker that does not see the driver's disk gets it."""
    return replace(open_source(repo), root="/nowhere/on/this/worker", url=f"file://{repo}")


def _mined(source, origin: Path) -> list[dict]:
    metas, _ = list_commits(str(origin), source.commit)
    stage = MineCommitsStage(source, 100, 1000, 100_000, 4000)
    return stage.process([meta.to_json() for meta in metas]).records


def test_a_worker_without_the_path_reads_its_own_clone_and_gets_the_same_records(origin):
    seen, unseen = open_source(origin), _unseen(origin)
    assert _mined(unseen, origin) == _mined(seen, origin)
    entries = list_entries(unseen)
    assert [e.path for e in entries] == [e.path for e in list_entries(seen)]
    assert [read_entry(unseen, e) for e in entries] == [read_entry(seen, e) for e in entries]
    (clone,) = clones_dir().glob("origin-*.git")
    assert (clone / "HEAD").is_file()


def test_the_worker_clone_is_made_once_and_fetched_for_a_newer_commit(origin):
    first = readable_root("/nowhere", f"file://{origin}", open_source(origin).commit)
    stamp = Path(first, "HEAD").stat().st_mtime_ns
    commit(origin, {"extra.py": "X = 1\n"}, "Add an extra module for the newer commit")
    newer = _unseen(origin)
    assert readable_root(newer.root, newer.url, newer.commit) == first
    assert Path(first, "HEAD").stat().st_mtime_ns == stamp  # the same clone, fetched
    assert "extra.py" in [e.path for e in list_entries(newer)]


def test_a_commit_the_url_does_not_have_is_a_one_line_error(origin):
    with pytest.raises(UserError, match=r"^worker: file://.* has no commit 0{40}$"):
        readable_root("/nowhere", f"file://{origin}", "0" * 40)


def test_a_path_this_machine_has_is_read_where_it_is(origin):
    assert readable_root(str(origin), "file:///no/such/url", "0" * 40) == str(origin)


def test_a_git_url_as_repo_is_cloned_into_the_build_and_recorded(origin, tmp_path):
    out = tmp_path / "out"
    done = run_cli("build", "commits", f"file://{origin}", "--out", str(out), "--quiet")
    assert done.returncode == 0, done.stderr
    source = json.loads((out / "manifest.json").read_text())["source"]
    assert source["url"] == f"file://{origin}"
    assert source["root"] == str(out / ".cache" / "repos" / "origin")
    assert git(Path(source["root"]), "rev-parse", "HEAD") == git(origin, "rev-parse", "HEAD")
    bad = run_cli("build", "commits", "file:///no/such/repo.git", "--out", str(tmp_path / "o"))
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
    assert "REPO: cannot clone file:///no/such/repo.git" in bad.stderr
