"""--rewrite-instructions: a commit whose message says nothing ("Update geometry.py") gets
an instruction a model writes from its change, kept in `meta` with the original message;
an answer that is unusable (no sections, code, an uninformative line) leaves the commit
rejected for its message, with why; and without a model the flag is a one-line error."""

from __future__ import annotations

import json

from repomill.llm.factory import LLMConfig
from repomill.recipes.commits.settings import CommitsConfig

from .builds import build_recipe
from .conftest import commit, make_repo
from .openai_server import FakeOpenAI
from .test_cli import run_cli
from .test_output_dir import one_error_line

T0, DAY = 1_700_000_000, 86_400
GOOD = ("<lazy>reject negative radius in area</lazy>\n<descriptive>In geometry.py, make "
        "area() raise ValueError when the radius is negative instead of returning a "
        "positive area.</descriptive>")  # fmt: skip


def repo_with_a_silent_commit(root):
    repo = make_repo(
        root / "repo",
        {"geometry.py": "def area(r):\n    return 3.14 * r * r\n"},
        "Add the area of a circle",
    )
    commit(repo, {"geometry.py": "def area(r):\n    if r < 0:\n        raise ValueError(r)\n"
                                 "    return 3.14 * r * r\n"},
           "Update geometry.py", when=T0 + DAY)  # fmt: skip
    return repo


def build(repo, out, script, **settings):
    prompts: list[str] = []

    def answer(prompt: str, attempt: int):
        prompts.append(prompt)
        return script(prompt), "stop"

    with FakeOpenAI(script=answer) as server:
        llm = LLMConfig(backend="openai", base_url=server.url, model="fake-model")
        config = CommitsConfig(validation=0, test=0, rewrite_instructions=True, **settings)
        manifest = build_recipe("commits", repo, out, config, llm=llm).to_json()
    return manifest, prompts


def test_a_silent_commit_gets_a_model_written_instruction(tmp_path):
    from repomill.export.read import read_dataset

    manifest, prompts = build(repo_with_a_silent_commit(tmp_path), tmp_path / "out",
                              lambda prompt: GOOD)  # fmt: skip
    (prompt,) = prompts  # only the silent commit's
    assert '"Update geometry.py"' in prompt and "```diff" in prompt
    assert "+    if r < 0:" in prompt  # the model sees the change itself
    row = next(
        r for r in read_dataset(tmp_path / "out")["train"] if "raise" in r["units"][0]["new_code"]
    )
    meta = json.loads(row["meta"])
    assert (
        meta["instruction_source"] == "model" and meta["original_message"] == "Update geometry.py"
    )
    assert meta["instructions"]["lazy"] == "reject negative radius in area"
    chosen = meta["instructions"][meta["instruction_style"]]
    assert row["messages"][1]["content"].startswith(chosen)
    assert manifest["counts"]["instructions_written"] == {"asked": 1, "written": 1}


def test_an_unusable_instruction_leaves_the_commit_rejected_with_why(tmp_path):
    from repomill.export.read import read_rejected

    repo = repo_with_a_silent_commit(tmp_path)
    hostile = {
        "missing_descriptive": "<lazy>reject negative radius</lazy>",
        "descriptive_has_markup": "<lazy>reject negative radius</lazy><descriptive>Do "
                                  "this:\n```python\nimport os\n```</descriptive>",
        "lazy_uninformative": "<lazy>fix</lazy><descriptive>Make area raise for negative "
                              "radii.</descriptive>",
        "lazy_too_long": f"<lazy>{'word ' * 100}</lazy><descriptive>Make area raise for "
                         "negative radii.</descriptive>",
    }  # fmt: skip
    for n, (reason, text) in enumerate(hostile.items()):
        out = tmp_path / f"out{n}"
        build(repo, out, lambda prompt, text=text: text)
        (rejected,) = [r for r in read_rejected(out) if "geometry" in r["meta"]]
        assert rejected["reason"] == "uninformative_message", reason
        assert json.loads(rejected["meta"])["instruction_error"] == reason


def test_rewriting_instructions_without_a_model_is_a_one_line_error(tmp_path):
    repo = repo_with_a_silent_commit(tmp_path)
    done = run_cli("build", "commits", str(repo), "--out", str(tmp_path / "o"),
                   "--rewrite-instructions")  # fmt: skip
    assert "--rewrite-instructions needs a model" in one_error_line(done)
