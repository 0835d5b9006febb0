"""Grounded self-align: seeds become importable APIs (module path, signature), tasks must
build on them, and their tests run with the repository importable, read-only."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from repomill.curate.settings import CurateConfig
from repomill.llm.factory import LLMConfig
from repomill.llm.types import Result
from repomill.recipes.self_align import examples
from repomill.recipes.self_align.generate import api_reason, instruction_reason, parse_response
from repomill.recipes.self_align.grounded import Api, module_of, signature_text
from repomill.recipes.self_align.seeds import Seed
from repomill.recipes.self_align.settings import SelfAlignConfig
from repomill.verify import sandbox, tools
from repomill.verify.runners import Library
from repomill.verify.sandbox import Limits
from repomill.verify.verdict import verify_response

from .builds import build_recipe
from .conftest import make_repo
from .openai_server import FakeOpenAI
from .test_self_align import answer

GEOMETRY = '''"""Shapes."""


def area(width, height):
    """The area of a width × height rectangle."""
    if width < 0 or height < 0:
        raise ValueError("negative side")
    return width * height
'''
PRIVATE = '''def perimeter(width, height):
    """The perimeter of a width × height rectangle."""
    total = 2 * (width + height)
    return total
'''
NEEDS_A_PACKAGE = '''import numpy_is_not_installed_here


def scaled(values, factor):
    """Each value times factor."""
    out = [v * factor for v in values]
    return out
'''
TOTAL = "from shapes.geometry import area\n\n\ndef total_area(sides):\n    " \
        "return sum(area(w, h) for w, h in sides)"  # fmt: skip
ANSWERS = [
    answer("python", TOTAL, "assert total_area([(2, 3), (1, 1)]) == 7\nassert total_area([]) == 0"),
    answer("python", "def area(w, h):\n    return w * h\n\n\ndef total_area(s):\n    "
           "return sum(area(*p) for p in s)", "assert total_area([(2, 3)]) == 6"),
    answer("python", "def total_area(s):\n    return sum(w * h for w, h in s)",
           "assert total_area([(2, 3)]) == 6"),
    answer("python", TOTAL + "\n\n\nopen('/repo/src/shapes/geometry.py', 'a').write('x')",
           "assert total_area([(2, 3)]) == 6"),
]  # fmt: skip


def script(prompt: str, seed: int) -> tuple[str, str]:
    if "List the programming concepts" in prompt:
        return "<concepts>multiplication, validation</concepts>", "stop"
    if "for developers of the repository" in prompt:
        assert "from shapes.geometry import area" in prompt
        return "<instruction>Write `total_area` summing the areas of (w, h) pairs with " \
               "`area`.</instruction>", "stop"  # fmt: skip
    assert "import it as shown, do not define it again" in prompt
    return ANSWERS[seed - 2], "stop"


@pytest.fixture
def libraries(monkeypatch):
    """A tool directory of the test's own (under /tmp: a sandbox slot must reach it)."""
    root = Path(tempfile.mkdtemp(prefix="repomill-test-tools-"))
    monkeypatch.setattr(tools, "tools_dir", lambda: root / "tools")
    yield root / "libraries"
    shutil.rmtree(root)


@pytest.mark.skipif(sandbox.bwrap_path() is None, reason="bubblewrap is missing")
def test_grounded_tasks_use_the_repository_api_and_run_against_it(tmp_path, libraries):
    repo = make_repo(tmp_path / "repo", {"src/shapes/__init__.py": "",
                                         "src/shapes/geometry.py": GEOMETRY,
                                         "src/shapes/numeric.py": NEEDS_A_PACKAGE,
                                         "src/shapes/_private.py": PRIVATE})  # fmt: skip
    out = tmp_path / "out"
    with FakeOpenAI(script=script) as server:
        llm = LLMConfig(backend="openai", base_url=server.url, model="fake", max_retries=1)
        config = SelfAlignConfig(samples=4, grounded=True, validation=0, test=0)
        manifest = build_recipe("self-align", repo, out, config, llm=llm,
                                curate=CurateConfig(near_threshold=1.0)).to_json()  # fmt: skip
    counts = manifest["counts"]
    assert counts["grounded"] is True and counts["seeds"] == 1
    assert counts["seeds_dropped"]["grounded_import_fails"] == 1  # numeric.py: no numpy
    assert counts["seeds_dropped"]["grounded_private"] == 1  # _private.py
    assert counts["responses"] == 4 and counts["responses_passing"] == 1
    [row] = pq.read_table(out / "dataset" / "data" / "train-00000-of-00001.parquet").to_pylist()
    prompt = row["messages"][0]["content"]
    assert "Write `total_area`" in prompt and "from shapes.geometry import area" in prompt
    assert "def area(width, height):" in prompt and "raise ValueError" not in prompt  # no body
    assert json.loads(row["meta"])["grounded"] == {"module": "shapes.geometry", "name": "area"}
    rejected = {r["reason"] for r in pq.read_table(out / "rejected.parquet").to_pylist()}
    assert {"api_redefined", "api_unused", "tests_failed"} <= rejected  # /repo is read-only
    assert (repo / "src/shapes/geometry.py").read_text() == GEOMETRY
    [library] = libraries.iterdir()  # exported once, with the repository's Python files
    assert (library / "code/src/shapes/geometry.py").read_text() == GEOMETRY


def test_libraries_unused_for_a_week_are_removed(libraries):
    old, recent = tools.library_folder("old"), tools.library_folder("recent")
    os.utime(old, (0, 0))
    tools.library_folder("new")
    assert sorted(p.name for p in libraries.iterdir()) == ["new", "recent"]
    assert recent.exists()


@pytest.mark.skipif(sandbox.bwrap_path() is None, reason="bubblewrap is missing")
def test_the_grounded_example_answer_passes_against_its_library(libraries):
    """The few-shot answer imports a made-up repository function: with that function in a
    library it must pass, and a broken implementation must fail its tests."""
    folder = tools.library_folder("example") / "code"
    (folder / "inventory").mkdir(parents=True)
    (folder / "inventory" / "__init__.py").write_text("")
    (folder / "inventory" / "units.py").write_text(examples.TO_GRAMS)
    ((shown, answer),) = examples.grounded_responses()
    code, tests, reason = parse_response(Result(text=answer, finish_reason="stop"), "python")
    api = Api("inventory.units", "to_grams", shown["api"], Library(str(folder), "", "example"))
    assert reason == "" and api_reason(code, api) == ""
    verdict = verify_response("python", code, tests, Limits(), library=api.library)
    assert verdict.passed and verdict.mutants_run >= 1, verdict.detail()


def test_a_seed_module_is_its_import_path_from_the_topmost_package():
    files = {"src/pkg/__init__.py", "src/pkg/sub/__init__.py", "src/pkg/sub/mod.py",
             "tool.py", "my-scripts/run.py"}  # fmt: skip
    assert module_of("src/pkg/sub/mod.py", files) == ("src", "pkg.sub.mod")
    assert module_of("src/pkg/sub/__init__.py", files) == ("src", "pkg.sub")
    assert module_of("tool.py", files) == ("", "tool")
    assert module_of("my-scripts/run.py", files) == ("my-scripts", "run")
    assert module_of("src/pkg/bad-name.py", files) is None


def test_the_api_shows_the_signature_and_docstring_not_the_body():
    seed = Seed("id", "m.py", "area", "python", GEOMETRY.split("\n\n\n")[1], "", 1, 5, "h")
    text = signature_text(seed)
    assert text.startswith("def area(width, height):") and "The area of" in text
    assert "raise" not in text and text.rstrip().endswith("...")
    assert signature_text(Seed("id", "m.py", "X", "python", "X = 1", "", 1, 1, "h")) is None


def test_a_grounded_instruction_must_name_its_api():
    api = Api("shapes.geometry", "area", "", Library("/x", "", "s"))
    assert instruction_reason("Write `total` that sums `area` over pairs.", api) == ""
    assert instruction_reason("Write `total` that sums rectangle areas.", api) == "ignores_api"
    assert instruction_reason("Write `total` that sums areas.", None) == ""
    assert instruction_reason("Use ```python\narea(1, 2)\n```", api) == "is_code"


def test_an_implementation_must_call_its_api_and_not_define_it():
    api = Api("shapes.geometry", "area", "", Library("/x", "", "s"))
    assert api_reason("from shapes.geometry import area\nf = lambda: area(1, 2)", api) == ""
    assert api_reason("import shapes.geometry as g\nf = lambda: g.area(1, 2)", api) == ""
    assert api_reason("def area(a, b):\n    return a * b", api) == "api_redefined"
    assert api_reason("from shapes.geometry import area\nx = 1", api) == "api_unused"
    assert api_reason("anything", None) == ""
