"""The revision index moved through history (by tree diffs, or by each commit's own file
list) sees exactly what an index built from scratch at the same commit sees: the same
files and names, the same layout (paths, project files, packages) and what every file
sees through its imports, whatever was added, changed, renamed, deleted or made
unindexable on the way, and across branches."""

import pytest

from repomill.code.blob_index import FileFacts
from repomill.code.revision_index import RevisionIndex
from repomill.recipes.commits.mine import MineCommitsStage
from repomill.recipes.commits.walk import chain_order
from repomill.sources import open_source
from repomill.sources.git_history import list_commits

from .conftest import commit, git, make_repo

MAX_FILE_BYTES, MAX_CHUNK_BYTES = 1 << 20, 4096


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    repo = make_repo(tmp_path_factory.mktemp("walk"), {
        "Cargo.toml": '[workspace]\nmembers = ["core", "app"]\n',
        "core/Cargo.toml": '[package]\nname = "corelib"\n',
        "core/src/lib.rs": "mod util;\npub use util::helper;\n",
        "core/src/util.rs": "pub fn helper() {}\n",
        "app/Cargo.toml": '[package]\nname = "app"\n\n[dependencies]\ncorelib = { path = "../core" }\n',
        "app/src/main.rs": "use corelib::helper;\n\nfn main() {\n    helper();\n}\n",
        "pkg/__init__.py": "from .core import run\n",
        "pkg/core.py": "def run():\n    pass\n",
        "pkg/cli.py": "from pkg import run\n\ndef main():\n    run()\n",
        "go.mod": "module example.com/app\n",
        "svc/a.go": "package svc\n\nfunc A() {}\n",
        "svc/b.go": "package svc\n\nfunc B() { A() }\n",
    })  # fmt: skip
    commit(repo, {"pkg/cli.py": "from pkg.core import run\n\ndef main():\n    run()\n"},
           "Import run from the module itself")  # fmt: skip
    commit(repo, {"core/Cargo.toml": '[package]\nname = "renamed"\n',
                  "app/Cargo.toml": '[package]\nname = "app"\n\n[dependencies]\nrenamed = { path = "../core" }\n'},
           "Rename the crate: main.rs's `use corelib::…` names nothing now")  # fmt: skip
    git(repo, "checkout", "-q", "-b", "side")
    commit(repo, {"svc/b.go": "package other\n\nfunc B() {}\n"}, "Move B to another package")
    commit(repo, {"svc/a.go": b"\x00binary\n"}, "Make a.go unindexable: its package is gone")
    commit(repo, {"pkg/core.py": None, "pkg/engine.py": "def run():\n    pass\n",
                  "pkg/__init__.py": "from .engine import run\n"}, "Rename core to engine")  # fmt: skip
    git(repo, "checkout", "-q", "main")
    commit(repo, {"core/src/util.rs": b"\x00\x01binary now\n"}, "Make util unindexable")
    commit(
        repo, {"core/src/extra.rs": "pub fn extra() {}\n", "go.mod": None}, "Add extra, drop go.mod"
    )
    git(repo, "merge", "-q", "--no-edit", "side", env_extra={"GIT_EDITOR": "true"})
    commit(
        repo, {"core/src/util.rs": "pub fn helper() {}\npub fn more() {}\n"}, "Util is text again"
    )
    return repo


def snapshot(index: RevisionIndex) -> dict:
    return {
        "files": dict(index.files),
        "names": {name: dict(paths) for name, paths in index.name_paths.items() if paths},
        "totals": {name: count for name, count in index.name_totals.items() if count},
        "layout": (set(index.listed), dict(index.project_files), dict(index.packages)),
        "seen": {path: index.visible_from(path) for path in sorted(index.files)},
    }


def fresh(repo, sha: str) -> dict:
    index = RevisionIndex(str(repo), MAX_FILE_BYTES, MAX_CHUNK_BYTES)
    index.move_to(sha)
    return snapshot(index)


def test_moved_by_tree_diffs_it_equals_an_index_built_at_each_commit(history):
    metas, _ = list_commits(str(history), git(history, "rev-parse", "HEAD"))
    walked = RevisionIndex(str(history), MAX_FILE_BYTES, MAX_CHUNK_BYTES)
    for meta in chain_order(metas):  # jumps between the branches: tree diffs both ways
        walked.move_to(meta.sha)
        assert snapshot(walked) == fresh(history, meta.sha), meta.message


def mined_in_walk_order(repo):
    """(meta, MinedCommit) of every commit, in the order the recipe walks them."""
    metas, _ = list_commits(str(repo), git(repo, "rev-parse", "HEAD"))
    stage = MineCommitsStage(open_source(repo), 100, 10_000, MAX_FILE_BYTES, MAX_CHUNK_BYTES)
    return [(meta, stage.mine(meta)) for meta in chain_order(metas)]


def test_advanced_by_each_commit_s_own_files_it_equals_a_fresh_index(history):
    walked = RevisionIndex(str(history), MAX_FILE_BYTES, MAX_CHUNK_BYTES)
    advanced = 0
    for meta, mined in mined_in_walk_order(history):
        if mined.files and walked.commit == meta.parent:
            walked.advance(meta.sha, mined.files, mined.hints)
            advanced += 1
        else:
            walked.move_to(meta.sha)
        for path in ("pkg/cli.py", "app/src/main.rs"):  # caches the next step must keep right
            walked.visible_from(path)
        assert snapshot(walked) == fresh(history, meta.sha), meta.message
    assert advanced >= 5


def test_the_miner_s_symbol_tables_are_the_index_s_own_and_spare_it_a_parse(history, monkeypatch):
    walked = RevisionIndex(str(history), MAX_FILE_BYTES, MAX_CHUNK_BYTES)
    handed = 0
    for meta, mined in mined_in_walk_order(history):
        walked.move_to(meta.sha)
        changed = [path for _, _, path, blob in mined.files if blob in mined.tables]
        expected = {}
        for path in changed:
            own = RevisionIndex(str(history), MAX_FILE_BYTES, MAX_CHUNK_BYTES)
            own.move_to(meta.sha)
            expected[path] = [own.defined_in(path, name) for name in own.facts[path].names]
        walked.remember(mined.hints, mined.tables)
        with monkeypatch.context() as patched:
            patched.setattr("repomill.code.revision_index.index_blob", _no_parse)
            for path in changed:
                names = walked.facts[path].names
                assert [walked.defined_in(path, name) for name in names] == expected[path]
                handed += 1
    assert handed >= 4


def _no_parse(*args, **kwargs):
    raise AssertionError("parsed a blob the miner had handed over")


def test_a_copy_of_a_blob_elsewhere_gets_a_table_naming_its_own_path(tmp_path):
    text = "def shared():\n    pass\n"
    repo = make_repo(tmp_path, {"a/one.py": text, "b/two.py": text})
    index = RevisionIndex(str(repo), MAX_FILE_BYTES, MAX_CHUNK_BYTES)
    index.move_to(git(repo, "rev-parse", "HEAD"))
    assert index.files["a/one.py"][0] == index.files["b/two.py"][0]  # one blob, two paths
    for path in ("a/one.py", "b/two.py", "a/one.py"):
        assert [s["path"] for s in index.defined_in(path, "shared")] == [path]


def test_facts_keep_one_string_per_distinct_statement_across_files():
    def statement():  # an equal string, but a new object each time (as JSON decoding makes)
        return "".join(["use crate::", "{a, b};"])

    def name():
        return "".join(["hel", "per"])

    first = FileFacts.from_json({"names": [name()], "imports": [
        {"module": "crate", "names": ["a"], "statement": statement()},
        {"module": "crate", "names": ["b"], "statement": statement()}]})  # fmt: skip
    second = FileFacts.from_json({"names": [name()], "imports": [
        {"module": "crate", "names": ["a"], "statement": statement()}]})  # fmt: skip
    shared = first.imports[0]["statement"]
    assert shared == statement() and shared is not statement()
    assert first.imports[1]["statement"] is shared and second.imports[0]["statement"] is shared
    assert first.names[0] is second.names[0]
