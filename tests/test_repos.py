"""`repomill build RECIPE --repos FILE`: many repositories into one dataset, each split by
its own history or held out whole, copies across repositories removed, git URLs cloned
once, and one-line errors for a bad list."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from repomill.code.settings import IndexConfig
from repomill.curate.settings import CurateConfig
from repomill.engine.ray_executor import RayExecutor
from repomill.engine.settings import EngineConfig
from repomill.export.read import read_dataset, read_rejected
from repomill.recipes.commits.settings import CommitsConfig
from repomill.recipes.registry import RECIPES
from repomill.recipes.repos import run_repos
from repomill.sources.repo_list import read_repo_list

from .conftest import commit, git, make_repo
from .projects import PROJECTS
from .test_cli import run_cli


def _history(root: Path, language: str, commits: int = 12, start: int = 1_700_000_000) -> Path:
    """A repository whose target file changes in each of `commits` commits, an hour apart."""
    files, target, *_ = PROJECTS[language]
    make_repo(root, files, "Start the project with its first modules")
    for n in range(commits):
        changed = re.sub(r"\d+(?=\D*$)", str(20 + n), files[target])  # the last number
        commit(root, {target: changed}, f"Use step {20 + n} in {language} and say why it is so",
               when=start + 3600 * n)  # fmt: skip
    return root


def _build(tmp_path: Path, listing: str, *flags: str):
    repos = tmp_path / "repos.txt"
    repos.write_text(listing)
    out = tmp_path / "out"
    return out, run_cli("build", "commits", "--repos", str(repos), "--out", str(out),
                        "--quiet", *flags)  # fmt: skip


@pytest.fixture
def three(tmp_path):
    """Two projects, and a fork of the first that went on with its own commits."""
    _history(tmp_path / "py", "python")
    _history(tmp_path / "ts", "typescript")
    shutil.copytree(tmp_path / "py", tmp_path / "fork")
    files, target, *_ = PROJECTS["python"]
    for n in range(6):
        commit(tmp_path / "fork", {target: files[target] + f"\n\n# fork change {n}\nX{n} = {n}\n"},
               f"Add the fork's own constant {n} for its users", when=1_800_000_000 + 60 * n)  # fmt: skip
    return tmp_path


def test_many_repositories_make_one_dataset_split_by_each_ones_history(three):
    out, done = _build(three, "py\nts  HEAD\n# the fork of py\nfork\n")
    assert done.returncode == 0, done.stderr
    splits = read_dataset(out)
    rows = [row for split in splits.values() for row in split]
    by_repo = {name: [r for r in rows if r["repo"] == name] for name in ("py", "ts", "fork")}
    assert all(by_repo.values())
    for name in ("py", "ts"):  # each repository's newest commits are its test rows
        assert any(r["repo"] == name for r in splits["test"])
    # the fork repeats py's 12 commits: those rows are dropped as copies, its own 6 stay
    rejected = [r for r in read_rejected(out) if r["stage"] == "curate.dedup_across_repos"]
    assert len(rejected) >= 10 and all(json.loads(r["meta"])["repo"] == "fork" for r in rejected)
    assert {r["reason"] for r in rejected} == {"duplicate_across_repos"}
    kept = Counter(row["repo"] for row in rows)
    assert kept["py"] == sum(len(rows) for rows in read_dataset(three / "out/repos/py").values())
    assert len(by_repo["fork"]) <= 8
    card = (out / "dataset" / "README.md").read_text()
    assert "## Repositories" in card and "| ts |" in card and "| fork |" in card
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["counts"]["repos"]) == {"py", "ts", "fork"}
    assert (out / "repos" / "ts" / "dataset" / "README.md").is_file()  # its own build
    assert "fork" in (out / "report.html").read_text()


def test_a_repository_that_gives_nothing_is_listed_with_none(tmp_path):
    _history(tmp_path / "py", "python")
    make_repo(tmp_path / "empty", {"notes.txt": "nothing to learn here\n"}, "Start")
    out, done = _build(tmp_path, "py\nempty\n")
    assert done.returncode == 0, done.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["repos"]["empty"] == {"train": 0, "validation": 0, "test": 0}
    assert manifest["counts"]["repos"]["py"]["train"] > 0
    assert "| empty |" in (out / "dataset" / "README.md").read_text()


def test_split_by_repo_holds_whole_repositories_out(three):
    for language in ("rust", "java", "go"):
        _history(three / language, language, commits=4)
    out, done = _build(three, "py\nts\nrust\njava\ngo\nfork\n", "--split-by", "repo",
                       "--test", "0.2", "--validation", "0.2")  # fmt: skip
    assert done.returncode == 0, done.stderr
    splits = read_dataset(out)
    repos_in = {split: {row["repo"] for row in rows} for split, rows in splits.items()}
    assert repos_in.get("test") and repos_in.get("train")
    assert not repos_in["test"] & repos_in["train"]
    assert not repos_in.get("validation", set()) & (repos_in["train"] | repos_in["test"])
    fork = [row for rows in splits.values() for row in rows if row["repo"] == "fork"]
    assert fork and all("fork's own" in row["messages"][1]["content"] for row in fork)  # no py
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config"]["split_by"] == "repo"


def test_a_git_url_is_cloned_once_and_the_rerun_gives_the_same_bytes(tmp_path):
    _history(tmp_path / "origin", "python")
    listing = f"file://{tmp_path / 'origin'}\n"
    out, done = _build(tmp_path, listing)
    assert done.returncode == 0, done.stderr
    clone = out / ".cache" / "repos" / "origin"
    assert (clone / "HEAD").is_file()
    first = _data(out)
    stamp = clone.stat().st_mtime_ns
    commit(tmp_path / "origin", {"later.py": "X = 1\n"}, "A commit after the clone was made")
    _, again = _build(tmp_path, listing)
    assert again.returncode == 0, again.stderr
    assert clone.stat().st_mtime_ns == stamp
    assert _data(out) == first
    assert "later" not in git(clone, "log", "--format=%s")  # the clone was reused


@pytest.mark.parametrize(("listing", "flags", "error"), [
    ("py\nmissing\n", [], r"repos.txt:2: missing: no such directory"),
    ("# nothing here\n\n", [], r"lists no repository"),
    ("py HEAD extra\n", [], r"repos.txt:1: expected a path or URL, then a revision at most"),
    ("file:///no/such/repo.git\n", [], r"repos.txt:1: cannot clone file:///no/such/repo.git"),
    ("py\n", ["--split-by", "author"], r"--split-by: time or repo"),
    ("py\n", ["--rev", "HEAD"], r"--rev is per repository with --repos"),
])  # fmt: skip
def test_a_bad_repository_list_is_a_one_line_error(tmp_path, listing, flags, error):
    _history(tmp_path / "py", "python", commits=2)
    _, done = _build(tmp_path, listing, *flags)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert re.search(error, done.stderr), done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_repository_and_a_list_are_not_both_given(tmp_path):
    repo = _history(tmp_path / "py", "python", commits=2)
    (tmp_path / "repos.txt").write_text("py\n")
    for args in ([str(repo), "--repos", str(tmp_path / "repos.txt")], []):
        done = run_cli("build", "commits", *args, "--out", str(tmp_path / "out"))
        assert done.returncode != 0 and "Traceback" not in done.stderr
        assert "give a repository (REPO) or a file of them (--repos FILE)" in done.stderr


def test_on_ray_the_repositories_share_one_ray_instance_one_pool_and_the_same_bytes(
    three, monkeypatch
):
    ray = pytest.importorskip("ray")
    local, done = _build(three, "py\nts\n")
    assert done.returncode == 0, done.stderr
    starts = []
    real_init = ray.init
    monkeypatch.setattr(ray, "init", lambda *a, **k: starts.append(1) or real_init(*a, **k))
    pools = []
    real_pool = RayExecutor.__init__
    monkeypatch.setattr(RayExecutor, "__init__",
                        lambda self, *a: pools.append(1) or real_pool(self, *a))  # fmt: skip
    entries = read_repo_list(three / "repos.txt", three / "clones")
    on_ray = three / "on-ray"
    run_repos(RECIPES["commits"], entries, CommitsConfig(), IndexConfig(workers=2),
              CurateConfig(), None, on_ray, False, EngineConfig(executor="ray"))  # fmt: skip
    assert len(starts) == 1 and not ray.is_initialized()  # started once, stopped at the end
    assert len(pools) == 1  # one set of workers for both repositories
    assert _data(on_ray) == _data(local)


def _data(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (out / "dataset" / "data").iterdir()}
