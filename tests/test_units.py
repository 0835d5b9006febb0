"""Diffs and changed units: hunks map to the innermost definitions they touch, on both
sides, and every unit's code is a verbatim slice of its blob: whole lines, indentation
included."""

from __future__ import annotations

import textwrap

import pytest

from repomill.code.file_index import index_file
from repomill.code.incremental import IncrementalParser
from repomill.code.units import MODULE, Side, changed_units
from repomill.sources.files import git_repository
from repomill.sources.git_diff import commit_changes

from .conftest import commit, git

BEFORE = '''import os


class Store:
    """Keeps things."""

    limit = 3

    def get(self, key):
        return self.items[key]

    def put(self, key, value):
        self.items[key] = value


def helper(x):
    return x + 1


def gone():
    return None
'''


def _units(repo, sha, parent):
    pyrepo = git_repository(str(repo))
    found = []
    for change in commit_changes(pyrepo, parent, sha):
        sides = []
        for path, blob in ((change.old_path, change.old_blob), (change.new_path, change.new_blob)):
            if blob is None:
                sides.append(None)
                continue
            data = pyrepo[blob].data
            sides.append(Side(data, index_file(path, "python", data, 4000)["symbols"]))
        found += changed_units(change.old_path, change.new_path, *sides, change.hunks)
    return found


def _head(repo):
    return git(repo, "rev-parse", "HEAD"), git(repo, "rev-parse", "HEAD~1")


def test_method_change_is_one_unit_with_verbatim_code(repo_factory):
    repo = repo_factory({"store.py": BEFORE})
    commit(repo, {"store.py": BEFORE.replace("self.items[key]\n", "self.items.get(key)\n", 1)},
           "Use get for lookups")  # fmt: skip
    units = _units(repo, *_head(repo))
    assert [(u.symbol, u.kind) for u in units] == [("Store.get", "method")]
    unit = units[0]
    # whole lines: the method's indentation is kept on its first line as on its body
    assert unit.old_code == "    def get(self, key):\n        return self.items[key]\n"
    assert unit.old_code == "".join(BEFORE.splitlines(keepends=True)[8:10])
    assert "self.items.get(key)" in unit.new_code
    assert unit.old_start_line == unit.new_start_line == 9


def test_added_removed_and_module_level_units(repo_factory):
    repo = repo_factory({"store.py": BEFORE})
    after = BEFORE.replace("import os\n", "import os\nimport sys\n").replace(
        "def gone():\n    return None\n", "def fresh(y):\n    return y * 2\n"
    )
    commit(repo, {"store.py": after}, "Replace gone with fresh, import sys")
    units = {u.symbol: u for u in _units(repo, *_head(repo))}
    assert set(units) == {MODULE, "fresh", "gone"}
    assert units[MODULE].old_code == "" and units[MODULE].new_code == "import sys\n"
    # a new definition says where it goes in the old file, a removed one where it was
    assert units["fresh"].old_code == "" and units["fresh"].old_start_line == 20
    assert units["gone"].new_code == "" and units["gone"].new_start_line == 21


def test_class_body_change_carries_its_methods(repo_factory):
    repo = repo_factory({"store.py": BEFORE})
    after = BEFORE.replace("limit = 3", "limit = 4").replace("self.items[key] = value",
                                                             "self.items[key] = value or 0")  # fmt: skip
    commit(repo, {"store.py": after}, "Raise the limit and default values")
    units = _units(repo, *_head(repo))
    assert [u.symbol for u in units] == ["Store"]  # not Store and Store.put again


def test_insertion_inside_a_function_touches_it(repo_factory):
    repo = repo_factory({"store.py": BEFORE})
    after = BEFORE.replace("    return x + 1\n", "    x = int(x)\n    return x + 1\n")
    commit(repo, {"store.py": after}, "Coerce helper input")
    assert [u.symbol for u in _units(repo, *_head(repo))] == ["helper"]


def test_rename_pairs_old_and_new_paths(repo_factory):
    repo = repo_factory({"old_name.py": BEFORE})
    git(repo, "mv", "old_name.py", "new_name.py")
    commit(repo, {"new_name.py": BEFORE.replace("x + 1", "x + 2")}, "Rename and bump helper")
    sha, parent = _head(repo)
    changes = commit_changes(git_repository(str(repo)), parent, sha)
    assert [(c.status, c.old_path, c.new_path) for c in changes] == [
        ("R", "old_name.py", "new_name.py")
    ]
    assert [u.symbol for u in _units(repo, sha, parent)] == ["helper"]


def test_units_of_a_moved_file_say_where_their_old_code_comes_from(repo_factory):
    repo = repo_factory({"old_name.py": BEFORE, "kept.py": "def k():\n    return 1\n"})
    (repo / "pkg").mkdir()
    git(repo, "mv", "old_name.py", "pkg/new_name.py")
    moved = BEFORE.replace("x + 1", "x + 2").replace("import os\n", "import os\nimport re\n")
    commit(repo, {"pkg/new_name.py": moved + "\n\ndef fresh():\n    return 0\n",
                  "kept.py": "def k():\n    return 2\n"}, "Move the store into pkg")  # fmt: skip
    sha, parent = _head(repo)
    units = {(u.path, u.symbol): u for u in _units(repo, sha, parent)}
    helper = units[("pkg/new_name.py", "helper")]
    assert helper.old_path == "old_name.py"
    old_file = git(repo, "show", f"{parent}:old_name.py") + "\n"
    assert helper.old_code in old_file and helper.old_code not in moved
    assert old_file.splitlines()[helper.old_start_line - 1].startswith("def helper")
    assert units[("pkg/new_name.py", MODULE)].old_path == "old_name.py"  # lines added to it
    assert units[("pkg/new_name.py", "fresh")].old_path == ""  # new: no old code
    assert units[("kept.py", "k")].old_path == "kept.py"  # not moved: its own path
    added = _units(repo, git(repo, "rev-parse", "HEAD~1"), None)  # the initial commit
    assert added and all(u.old_path == "" for u in added)


def test_initial_commit_has_only_added_units(repo_factory):
    repo = repo_factory({"store.py": BEFORE})
    sha = git(repo, "rev-parse", "HEAD")
    units = _units(repo, sha, None)
    assert {u.symbol for u in units} >= {"Store", "helper", "gone"}
    assert all(u.old_code == "" for u in units)


def test_binary_change_has_no_hunks(repo_factory):
    repo = repo_factory({"data.py": b"x = 1\n"})
    commit(repo, {"data.py": b"\x00\x01binary\x00"}, "Make it binary")
    sha, parent = _head(repo)
    (change,) = commit_changes(git_repository(str(repo)), parent, sha)
    assert change.binary and change.hunks is None


@pytest.mark.parametrize(
    "edit",
    [
        lambda s: s.replace("return x + 1", "return x + 2"),  # inside a function
        lambda s: "import sys\n" + s,  # at the top
        lambda s: s + "\n\ndef added():\n    return 3\n",  # at the end
        lambda s: s.replace(
            "    def put(self, key, value):\n        self.items[key] = value\n", ""
        ),
        lambda s: s.replace("class Store:", "class Store(object):").replace("gone", "went"),
        lambda s: "",  # everything removed
    ],
)
def test_incremental_parse_matches_a_fresh_parse(edit):
    parser = IncrementalParser()
    before = BEFORE.encode()
    after = edit(BEFORE).encode()
    parser.parse("store.py", "python", before)
    tree = parser.parse("store.py", "python", after)
    fresh = index_file("store.py", "python", after, 4000)
    assert index_file("store.py", "python", after, 4000, tree=tree) == fresh
    assert str(tree.root_node) == str(fresh_tree(after))


def fresh_tree(source: bytes):
    from repomill.code.languages import parser

    return parser("python").parse(source).root_node


JAVA_BEFORE = """package shop;

public class Cart {
    private int total;

    /** Adds an item's price. */
    public void add(int price) {
        total += price;
    }
}
"""
RUST_BEFORE = """pub struct Cart {
    total: u32,
}

impl Cart {
    #[inline]
    pub fn add(&mut self, price: u32) {
        self.total += price;
    }
}
"""


@pytest.mark.parametrize(
    ("path", "language", "before", "edit", "symbol", "first_line"),
    [
        ("store.py", "python", BEFORE, ("self.items[key] = value", "self.items[key] = value or 0"),
         "Store.put", "    def put(self, key, value):\n"),
        ("Cart.java", "java", JAVA_BEFORE, ("total += price;", "total += Math.max(price, 0);"),
         "Cart.add", "    /** Adds an item's price. */\n"),
        ("cart.rs", "rust", RUST_BEFORE, ("self.total += price;", "self.total += price.min(99);"),
         "Cart.add", "    #[inline]\n"),
    ],
)  # fmt: skip
def test_a_nested_unit_is_whole_lines_with_its_indentation(
    repo_factory, path, language, before, edit, symbol, first_line
):
    repo = repo_factory({path: before})
    after = before.replace(*edit)
    commit(repo, {path: after}, "Change the method")
    pyrepo = git_repository(str(repo))
    sha, parent = _head(repo)
    (change,) = commit_changes(pyrepo, parent, sha)
    sides = [Side(pyrepo[b].data, index_file(path, language, pyrepo[b].data, 4000)["symbols"])
             for b in (change.old_blob, change.new_blob)]  # fmt: skip
    (unit,) = changed_units(change.old_path, change.new_path, *sides, change.hunks)
    assert unit.symbol == symbol
    for code, text, start in ((unit.old_code, before, unit.old_start_line),
                              (unit.new_code, after, unit.new_start_line)):  # fmt: skip
        assert code.startswith(first_line)  # from the start of its first line
        lines = text.splitlines(keepends=True)
        assert code == "".join(lines[start - 1 : start - 1 + code.count("\n")])  # exact lines
        # every line keeps the unit's indentation: it dedents as a whole
        assert all(line.startswith("    ") for line in code.splitlines() if line.strip())
        assert not textwrap.dedent(code).startswith(" ")


def test_a_nested_type_shown_as_context_keeps_its_indentation():
    source = (
        b"class Outer:\n    class Inner:\n        x: int = 0\n\n    def f(self):\n        pass\n"
    )
    symbols = {s["qualname"]: s for s in index_file("o.py", "python", source, 4000)["symbols"]}
    assert symbols["Outer.Inner"]["text"] == "    class Inner:\n        x: int = 0"
    assert symbols["Outer"]["text"] == source.decode().rstrip("\n")  # top level: as it was


TOP_LEVEL = """import os

LIMIT = 3


def f(x):
    return x + LIMIT


print("loaded")
register(f)
"""


def test_module_units_say_where_their_lines_go(repo_factory):
    repo = repo_factory({"app.py": TOP_LEVEL})
    after = TOP_LEVEL.replace("import os\n", "import os\nimport re\n").replace(
        'print("loaded")\n', ""
    )
    commit(repo, {"app.py": after, "new.py": "import sys\n\nrun(sys.argv)\n"}, "Edit top level")
    units = _units(repo, *_head(repo))
    by_code = {(u.path, u.old_code or u.new_code): u for u in units if u.symbol == MODULE}
    added = by_code[("app.py", "import re\n")]  # lines added to an existing file
    assert (added.old_code, added.old_path) == ("", "app.py")
    assert added.old_start_line == 2 and added.new_start_line == 2  # goes before old line 2
    removed = by_code[("app.py", 'print("loaded")\n')]  # lines removed from a file that stays
    assert (removed.new_code, removed.old_start_line) == ("", 10)
    assert removed.new_start_line == 11  # was before what is now line 11, `register(f)`
    assert after.splitlines()[removed.new_start_line - 1] == "register(f)"
    new = next(u for u in units if u.path == "new.py")  # a new file: no old place at all
    assert (new.old_path, new.old_start_line, new.new_start_line) == ("", 0, 1)


def test_a_unit_whose_last_line_only_gains_a_newline_is_unchanged(repo_factory):
    repo = repo_factory({"t.py": "def a():\n    return 1"})  # no newline at the end
    commit(repo, {"t.py": "def a():\n    return 1\n\n\ndef b():\n    return 2\n"}, "Add b")
    assert [(u.symbol, u.old_code) for u in _units(repo, *_head(repo))] == [("b", "")]


SCRIPT = '''import os

SOURCE = """\\
complete -c %(prog)s -f
set -l parts (string split \\\\n $line)
echo $parts[1]
"""

TABLE = {
    "a": 1,
    "b": 2,
}


def run():
    return SOURCE % TABLE
'''


def test_a_change_inside_a_constant_is_the_whole_statement(repo_factory):
    repo = repo_factory({"script.py": SCRIPT})
    after = SCRIPT.replace("echo $parts[1]", "echo $parts[2]").replace('"b": 2', '"b": 3')
    commit(repo, {"script.py": after}, "Echo the second part, and b is three")
    units = [u for u in _units(repo, *_head(repo)) if u.symbol == MODULE]
    lines = SCRIPT.splitlines(keepends=True)
    assert (
        [(u.old_code, u.old_start_line, u.new_start_line) for u in units]
        == [
            ("".join(lines[2:7]), 3, 3),  # the whole string, not the one line inside it
            ("".join(lines[8:12]), 9, 9),  # the whole dict
        ]
    )
    assert units[0].new_code.startswith('SOURCE = """') and "$parts[2]" in units[0].new_code


def test_two_hunks_inside_one_constant_are_one_unit(repo_factory):
    lines = [f"    'line {n}',\n" for n in range(20)]
    before = "import os\n\nNAMES = [\n" + "".join(lines) + "]\n"
    after = before.replace("'line 1'", "'line one'").replace("'line 18'", "'line eighteen'")
    repo = repo_factory({"names.py": before})
    commit(repo, {"names.py": after}, "Spell out two of the names")
    units = _units(repo, *_head(repo))
    assert [(u.symbol, u.old_start_line, u.old_code) for u in units] == [
        (MODULE, 3, "".join(before.splitlines(keepends=True)[2:]))
    ]
