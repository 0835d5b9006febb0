"""Repositories that are corrupt or crafted: missing objects, tree entries with absolute
or `..` paths, folders that cannot be read. Each ends in a counted skip reason (or one
clear error line), never a traceback, and no unsafe path reaches the output."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pygit2
import pytest

from repomill.code.build import build_index
from repomill.code.settings import IndexConfig
from repomill.errors import UserError
from repomill.recipes.commits import mine
from repomill.recipes.commits.mine import MineCommitsStage
from repomill.recipes.commits.settings import CommitsConfig
from repomill.sources import open_source
from repomill.sources.directory import list_directory_entries
from repomill.sources.paths import is_safe_path

from .builds import build_recipe
from .conftest import commit, git, make_repo

T0 = 1_700_000_000
BLOB, TREE = 0o100644, 0o040000


def code(n: int) -> str:
    return f"def f{n}(x):\n    return x + {n}\n"


def delete_object(repo: Path, oid: str) -> None:
    (repo / ".git" / "objects" / oid[:2] / oid[2:]).unlink()


def raw_tree(repo: pygit2.Repository, entries: dict[str, tuple[int, pygit2.Oid]]) -> pygit2.Oid:
    """A tree written as raw bytes, so names git refuses (`/abs.py`, `..`) get in; sorted
    as git sorts (a folder's name as if it ended in `/`)."""
    order = sorted(entries, key=lambda n: n + "/" if entries[n][0] == TREE else n)
    data = b"".join(f"{entries[n][0]:o} {n}".encode() + b"\0" + entries[n][1].raw for n in order)
    return repo.odb.write(pygit2.enums.ObjectType.TREE, data)


def crafted_history(path: Path, trees: list[dict[str, str]]) -> Path:
    """A repository whose commits have exactly these trees (name -> source), a day apart;
    a name may hold `/` or `..`, so one entry can carry a whole crafted path."""
    repo = pygit2.init_repository(str(path), initial_head="main")
    parents: list[pygit2.Oid] = []
    for n, files in enumerate(trees):
        entries = {name: (BLOB, repo.create_blob(text.encode())) for name, text in files.items()}
        sig = pygit2.Signature("Test", "test@example.com", T0 + n * 86_400, 0)
        message = f"Change the helper functions, step {n}"
        parents = [repo.create_commit("refs/heads/main", sig, sig, message,
                                      raw_tree(repo, entries), parents)]  # fmt: skip
    return path


def build(repo: Path, out: Path, workers: int = 1) -> dict:
    manifest = build_recipe("commits", repo, out, CommitsConfig(), IndexConfig(workers=workers))
    return manifest.to_json()


def exported_paths(out: Path) -> set[str]:
    paths = set()
    for split in (out / "dataset" / "data").glob("*.parquet"):
        for row in pq.read_table(split).to_pylist():
            paths |= {u["path"] for u in row["units"]} | {e["path"] for e in row["evidence"]}
            paths |= {c["path"] for c in row["context"]}
    return paths


def rejected(out: Path) -> dict[str, str]:
    return {r["commit"]: r["reason"] for r in pq.read_table(out / "rejected.parquet").to_pylist()}


@pytest.mark.parametrize(
    "path, safe",
    [("a.py", True), ("src/a.py", True), ("..a.py", True), ("a..py", True),
     ("/abs.py", False), ("../up.py", False), ("a/../../b.py", False), ("..", False),
     ("./a.py", False), ("a//b.py", False), ("a/", False), ("", False), ("..\\up.py", False),
     ("a\0.py", False)],
)  # fmt: skip
def test_safe_paths_are_relative_with_named_parts(path, safe):
    assert is_safe_path(path) is safe


# -- the index at one revision ------------------------------------------------------------


def test_index_skips_a_blob_missing_from_head(tmp_path):
    repo = make_repo(tmp_path / "r", {"a.py": code(1), "b.py": code(2)})
    delete_object(repo, git(repo, "rev-parse", "HEAD:b.py"))
    built = build_index(open_source(repo), IndexConfig(workers=1), None, show_progress=False)
    status = {r["path"]: r["status"] for r in built.file_records}
    assert status == {"a.py": "indexed", "b.py": "missing_object"}
    assert built.manifest.stages["list_files"].skipped == {"missing_object": 1}
    assert built.manifest.counts["files_skipped"] == 1


def test_index_skips_a_missing_folder_as_one_entry(tmp_path):
    repo = make_repo(tmp_path / "r", {"a.py": code(1), "pkg/b.py": code(2), "pkg/c.py": ""})
    delete_object(repo, git(repo, "rev-parse", "HEAD:pkg"))
    built = build_index(open_source(repo), IndexConfig(workers=1), None, show_progress=False)
    assert {r["path"]: r["status"] for r in built.file_records} == {
        "a.py": "indexed", "pkg": "missing_object"}  # fmt: skip


def test_index_fails_in_one_line_without_the_head_tree(tmp_path):
    repo = make_repo(tmp_path / "r", {"a.py": code(1)})
    delete_object(repo, git(repo, "rev-parse", "HEAD^{tree}"))
    with pytest.raises(UserError, match="tree is missing"):
        build_index(open_source(repo), IndexConfig(workers=1), None, show_progress=False)


def test_index_skips_unsafe_tree_paths(tmp_path):
    unsafe = ["/abs.py", "../up.py", "a/../../b.py"]
    repo = crafted_history(tmp_path / "r", [{"ok.py": code(0), **{p: code(1) for p in unsafe}}])
    built = build_index(open_source(repo), IndexConfig(workers=1), None, show_progress=False)
    status = {r["path"]: (r["status"], r["language"]) for r in built.file_records}
    assert status == {"ok.py": ("indexed", "python"), **{p: ("unsafe_path", "") for p in unsafe}}
    assert built.manifest.stages["list_files"].skipped == {"unsafe_path": 3}
    assert {c["path"] for c in built.index.chunks} == {"ok.py"}


def test_index_does_not_descend_into_a_folder_named_dot_dot(tmp_path):
    repo = pygit2.init_repository(str(tmp_path / "r"), initial_head="main")
    inner = raw_tree(repo, {"up.py": (BLOB, repo.create_blob(code(1).encode()))})
    top = raw_tree(repo, {"..": (TREE, inner), "ok.py": (BLOB, repo.create_blob(b"x = 1\n"))})
    sig = pygit2.Signature("Test", "test@example.com", T0, 0)
    repo.create_commit("refs/heads/main", sig, sig, "Add files", top, [])
    built = build_index(open_source(repo.workdir), IndexConfig(workers=1), None,
                        show_progress=False)  # fmt: skip
    assert {r["path"]: r["status"] for r in built.file_records} == {
        "..": "unsafe_path", "ok.py": "indexed"}  # fmt: skip


# -- the commits recipe ----------------------------------------------------------------------


def test_build_goes_on_around_a_missing_parent_commit(tmp_path, capsys):
    repo = make_repo(tmp_path / "r", {"a.py": code(1)}, "Add the first helper function")
    for n in (2, 3, 4):
        commit(repo, {"a.py": code(n)}, f"Change the helper function to add {n}",
               when=T0 + n * 86_400)  # fmt: skip
    shas = git(repo, "rev-list", "HEAD").split()  # newest first
    delete_object(repo, shas[2])
    manifest = build(repo, tmp_path / "out")
    assert "history is incomplete, 1 commit(s) missing" in capsys.readouterr().err
    assert manifest["stages"]["list_commits"]["skipped"] == {"missing_object": 1}
    assert manifest["counts"]["commits_listed"] == 2
    assert rejected(tmp_path / "out") == {shas[1]: "missing_object"}
    assert manifest["counts"]["commits_kept"] == 1


def test_build_skips_unsafe_paths_in_commits_across_workers(tmp_path):
    repo = crafted_history(tmp_path / "r", [
        {"ok.py": code(0)},
        {"ok.py": code(0), "/abs.py": code(1)},  # only an unsafe file: the commit is rejected
        {"ok.py": code(2), "/abs.py": code(1), "../up.py": code(3), "a/../../b.py": code(4)},
    ])  # fmt: skip
    out = tmp_path / "out"
    manifest = build(repo, out, workers=2)  # pygit2's errors would not pickle back
    shas = git(repo, "rev-list", "HEAD").split()
    assert rejected(out)[shas[1]] == "unsafe_path"
    assert manifest["counts"]["unsafe_paths_skipped"] == 3  # /abs.py once, then ../ and a/..
    assert exported_paths(out) == {"ok.py"}
    meta = json.loads(pq.read_table(out / "dataset" / "data" / "train-00000-of-00001.parquet")
                      .to_pylist()[-1]["meta"])  # fmt: skip
    assert meta["file_skips"]["unsafe_path"] == 2


def test_build_leaves_out_a_missing_blob_the_index_meets(tmp_path):
    """The index steps by tree diff onto a commit that mining rejected; a blob there that
    is gone leaves that file out of the context, counted."""
    repo = make_repo(tmp_path / "r", {"a.py": code(1)}, "Add the first helper function")
    commit(repo, {"a.py": code(2), "lib.py": code(9)}, "Add a library and change a helper",
           when=T0 + 86_400)  # fmt: skip
    lib = git(repo, "rev-parse", "HEAD:lib.py")
    commit(repo, {"a.py": code(3)}, "Change the helper function once more", when=T0 + 2 * 86_400)
    delete_object(repo, lib)
    out = tmp_path / "out"
    manifest = build(repo, out)
    assert rejected(out) == {git(repo, "rev-parse", "HEAD~1"): "missing_object"}
    assert manifest["counts"]["index_missing_objects"] == 1
    assert manifest["counts"]["commits_kept"] == 2


def test_mining_returns_a_picklable_record_for_any_git_error(tmp_path, monkeypatch):
    repo = make_repo(tmp_path / "r", {"a.py": code(1)}, "Add the first helper function")

    def failing(*args, **kwargs):
        raise pygit2.GitError("unrecoverable internal error")

    monkeypatch.setattr(mine, "commit_changes", failing)
    stage = MineCommitsStage(open_source(repo), 100, 1000, 100_000, 4000)
    sha = git(repo, "rev-parse", "HEAD")
    meta = {"sha": sha, "parents": [], "author_name": "Test", "author_email": "t@e.com",
            "time": T0, "message": "Add the first helper function", "shallow": False}  # fmt: skip
    result = pickle.loads(pickle.dumps(stage.process([meta])))
    assert [r["status"] for r in result.records] == ["git_error"]
    assert result.skipped == {"git_error": 1}


# -- plain directories ---------------------------------------------------------------------


def test_an_unreadable_folder_is_counted(tmp_path, monkeypatch):
    root = tmp_path / "d"
    (root / "locked").mkdir(parents=True)
    (root / "locked" / "x.py").write_text(code(1))
    (root / "a.py").write_text(code(2))
    real_scandir = os.scandir

    def scandir(path="."):
        if os.path.basename(path) == "locked":
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    built = build_index(open_source(root), IndexConfig(workers=1), None, show_progress=False)
    assert {r["path"]: r["status"] for r in built.file_records} == {
        "a.py": "indexed", "locked": "unreadable"}  # fmt: skip
    assert built.manifest.stages["list_files"].skipped == {"unreadable": 1}


def test_a_file_that_cannot_be_looked_at_is_counted(tmp_path, monkeypatch):
    """A folder that can be listed but not searched: names without their metadata."""
    root = tmp_path / "d"
    (root / "half").mkdir(parents=True)
    (root / "half" / "x.py").write_text(code(1))
    real_lstat = os.lstat

    def lstat(path, *args, **kwargs):
        if os.path.basename(os.path.dirname(path)) == "half":
            raise PermissionError(13, "Permission denied", path)
        return real_lstat(path, *args, **kwargs)

    monkeypatch.setattr(os, "lstat", lstat)
    entries = list_directory_entries(root)
    assert [(e.path, e.skip) for e in entries] == [("half/x.py", "unreadable")]


def test_an_unreadable_root_is_one_error_line(tmp_path, monkeypatch):
    root = tmp_path / "d"
    root.mkdir()

    def scandir(path="."):
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(os, "scandir", scandir)
    with pytest.raises(UserError, match="unreadable directory"):
        list_directory_entries(root)


def corrupt_object(repo: Path, oid: str) -> None:
    """Cut a loose object's compressed stream short (libgit2 loops forever reading it)."""
    path = repo / ".git" / "objects" / oid[:2] / oid[2:]
    data = path.read_bytes()
    path.chmod(0o644)
    path.write_bytes(data[:10])


def run_repomill(*args: str) -> subprocess.CompletedProcess:
    """In a process of its own with a time limit: the failure this guards against hangs."""
    return subprocess.run([sys.executable, "-m", "repomill.cli", *args], capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)  # fmt: skip


def test_a_corrupt_blob_is_skipped_not_read_forever(tmp_path):
    repo = make_repo(tmp_path / "r", {"a.py": code(1)}, "Add the first helper function")
    commit(repo, {"a.py": code(2), "b.py": code(3)}, "Change the helper and add another")
    corrupt_object(repo, git(repo, "rev-parse", "HEAD~1:a.py"))  # the old side of a change
    index = run_repomill("index", str(repo), "--out", str(tmp_path / "index"), "--rev", "HEAD~1",
                         "--quiet")  # fmt: skip
    assert index.returncode == 0, index.stderr
    files = pq.read_table(tmp_path / "index" / "files.parquet").to_pylist()
    assert {f["path"]: f["status"] for f in files} == {"a.py": "missing_object"}
    out = tmp_path / "out"
    done = run_repomill(
        "build", "commits", str(repo), "--out", str(out), "--workers", "1", "--quiet"
    )
    assert "Traceback" not in done.stderr
    # both commits touch the corrupt blob: each is a recorded rejection (libgit2's diff
    # reports the object as unparsable: git_error)
    assert len(rejected(out)) == 2 and set(rejected(out).values()) <= {
        "missing_object",
        "git_error",
    }
