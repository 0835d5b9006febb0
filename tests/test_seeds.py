"""Which functions become self-align seeds: self-contained ones that return a value, each
other one dropped with its reason."""

from __future__ import annotations

import pytest

from repomill.code.build import build_index
from repomill.code.settings import IndexConfig
from repomill.recipes.self_align.seeds import _returns_value, mine_seeds
from repomill.sources import open_source

from .conftest import make_repo

DOC = '    """Does it."""\n'
PYTHON_CASES = {
    "kept": "def scaled(xs, k):\n" + DOC + "    out = [x * k for x in xs]\n    return out\n",
    "none_annotation": "def show(xs) -> None:\n" + DOC + "    xs.sort()\n    return\n",
    "bare_return": "def check(xs):\n" + DOC + "    if not xs:\n        return\n    xs.pop()\n",
    "return_none": "def clear(xs):\n" + DOC + "    xs.clear()\n    return None\n",
    "read_text": "def size(p):\n" + DOC + "    text = p.read_text()\n    return len(text)\n",
    "cli": "@click.command()\n@click.argument('n')\ndef count(n):\n" + DOC
           + "    m = int(n)\n    return m + 1\n",
    "argparse": "def run_build(args: argparse.Namespace) -> int:\n" + DOC
                + "    n = args.n\n    return n + 1\n",
    "test_function": "def test_scaled():\n" + DOC + "    got = scaled([1], 2)\n"
                     "    assert got == [2]\n    return got\n",
}  # fmt: skip
REASONS = {"kept": None, "none_annotation": "no_return_value", "bare_return": "no_return_value",
           "return_none": "no_return_value", "read_text": "side_effects", "cli": "cli_command",
           "argparse": "cli_command", "test_function": "test"}  # fmt: skip


def seeds_and_drops(tmp_path, files: dict[str, str]):
    repo = make_repo(tmp_path / "repo", files)
    index = build_index(open_source(repo), IndexConfig(workers=1), None,
                        show_progress=False).index  # fmt: skip
    seeds, dropped = mine_seeds(index, [], 0.9)
    return {s.symbol for s in seeds}, dropped


@pytest.mark.parametrize("case", sorted(PYTHON_CASES))
def test_python_seed_rules(tmp_path, case):
    kept, dropped = seeds_and_drops(tmp_path, {"lib.py": PYTHON_CASES[case]})
    reason = REASONS[case]
    assert (kept == set()) == (reason is not None), (kept, dropped)
    if reason is not None:
        assert dropped == {reason: 1}


def test_tests_are_no_seeds_by_path_or_marker(tmp_path):
    body = "def helper(x):\n" + DOC + "    y = x + 1\n    return y\n"
    rust = "/// Doubles.\n#[test]\nfn doubled() -> u32 {\n    let x = 2;\n    x * 2\n}\n"
    kept, dropped = seeds_and_drops(tmp_path, {"tests/helpers.py": body, "lib.rs": rust,
                                               "pkg/test_util.py": body})  # fmt: skip
    assert kept == set() and dropped == {"test": 3}


def test_typed_languages_declare_no_value(tmp_path):
    typescript = ("/** Logs. */\nexport function note(cb: (x: number) => void): number {\n"
                  "  const n = 1;\n  return n;\n}\n/** Stores. */\nexport function put(a: number)"
                  ": void {\n  store.a = a;\n  return;\n}\n")  # fmt: skip
    rust = (
        "/// Adds one.\nfn next(a: u32) -> u32 {\n    let b = a;\n    b + 1\n}\n"
        "/// Pushes.\nfn push(x: &mut Vec<u8>) {\n    let y = 1;\n    x.push(y)\n}\n"
    )
    kept, dropped = seeds_and_drops(tmp_path, {"a.ts": typescript, "a.rs": rust})
    assert kept == {"note", "next"} and dropped == {"no_return_value": 2}


@pytest.mark.parametrize(
    "language, signature, body, returns",
    [
        ("java", "public static void run(int a)", "return;", False),
        ("java", "int get(Callable<Void> c)", "return 1;", True),
        ("typescript", "async function g(): Promise<void>", "return;", False),
        ("typescript", "m(a: string): void", "this.a = a;", False),
        ("rust", "fn g() -> ()", "x()", False),
        ("rust", "fn parse(s: &str) -> Result<u8, E>", "s.parse()", True),
        ("python", "def f(x) -> None:", "return x", False),
        ("python", "def f(x) -> Optional[int]:", "return None", False),
        ("python", "def f(x):", "return (x, 1)", True),
    ],
)
def test_what_returns_a_value(language, signature, body, returns):
    assert _returns_value(language, f"{signature}\n    {body}\n", signature) is returns
