"""The self-align recipe against a loopback OpenAI-compatible server with scripted answers:
passing, failing, malformed and truncated responses, in Python and TypeScript."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from repomill.curate.settings import CurateConfig
from repomill.llm.factory import LLMConfig
from repomill.recipes.self_align.settings import SelfAlignConfig
from repomill.verify import sandbox

from .builds import build_recipe
from .conftest import make_repo
from .openai_server import FakeOpenAI

pytestmark = pytest.mark.skipif(sandbox.bwrap_path() is None, reason="bubblewrap is missing")

PYTHON = '''def double_all(values):
    """Twice each value, in order."""
    result = []
    for value in values:
        result.append(value * 2)
    return result


def word_count(text):
    """How many whitespace-separated words the text has."""
    words = text.split()
    return len(words)


def no_docs(x):
    y = x + 1
    return y
'''
TYPESCRIPT = """/** The larger of two numbers. */
export function larger(a: number, b: number): number {
  if (a > b) {
    return a;
  }
  return b;
}
"""


def answer(language: str, code: str, tests: str) -> str:
    return (f"<reasoning>Simple.</reasoning>\n<implementation>\n```{language}\n{code}\n```\n"
            f"</implementation>\n<explanation>Done.</explanation>\n<tests>\n```{language}\n"
            f"{tests}\n```\n</tests>")  # fmt: skip


PY_GOOD = answer("python", "def triple(x):\n    return 3 * x", "assert triple(2) == 6")
PY_BAD = answer("python", "def triple(x):\n    return 2 * x", "assert triple(2) == 6")
TS_GOOD = answer("typescript", "function half(x: number): number {\n  return x / 2;\n}",
                 "if (half(4) !== 2) throw new Error('half');")  # fmt: skip
TS_BAD = answer("typescript", "function half(x: number): number {\n  return x * 2;\n}",
                "if (half(4) !== 2) throw new Error('half');")  # fmt: skip
# Responses by sample (the request's seed is 2 + sample index).
SCRIPT = {
    "python": [PY_BAD, PY_GOOD, "I would rather not.", (PY_GOOD, "length"), PY_GOOD],
    "typescript": [TS_GOOD, TS_BAD, answer("typescript", "function half(", ""), TS_GOOD,
                   "<reasoning>no code</reasoning><tests>x</tests>"],
}  # fmt: skip


def script(prompt: str, seed: int) -> tuple[str, str]:
    if "List the programming concepts" in prompt:
        return "<concepts>loops, arithmetic</concepts>", "stop"
    if "Invent one new, self-contained" in prompt:
        return "<instruction>Write a small arithmetic function with tests.</instruction>", "stop"
    language = "typescript" if "Solve the task in typescript" in prompt else "python"
    reply = SCRIPT[language][seed - 2]
    return reply if isinstance(reply, tuple) else (reply, "stop")


def test_self_align_keeps_only_passing_responses(tmp_path):
    repo = make_repo(tmp_path / "repo", {"lib/nums.py": PYTHON, "web/larger.ts": TYPESCRIPT})
    out = tmp_path / "out"
    with FakeOpenAI(script=script) as server:
        llm = LLMConfig(backend="openai", base_url=server.url, model="fake", max_retries=1)
        config = SelfAlignConfig(samples=5, validation=0, test=0)
        manifest = build_recipe(
            "self-align", repo, out, config, llm=llm, curate=CurateConfig(near_threshold=1.0)
        ).to_json()
        requests_first = server.requests
        again = build_recipe(
            "self-align", repo, out, config, llm=llm, curate=CurateConfig(near_threshold=1.0)
        )
        assert server.requests == requests_first  # a re-run answers from the cache
    counts = manifest["counts"]
    assert counts["seeds"] == 3 and counts["seeds_dropped"]["no_docstring"] == 1
    assert counts["funnel"][:2] == [["seed candidates", 4], ["seeds", 3]]  # every one examined
    assert counts["responses"] == 15
    # per seed: python passes samples 1 and 4; typescript passes 0 and 3
    assert counts["responses_passing"] == 6 and counts["pass_rate"] == 0.4
    rows = pq.read_table(out / "dataset" / "data" / "train-00000-of-00001.parquet").to_pylist()
    # keep=first: one per instruction; the two Python seeds got the very same task and
    # answer from the script, so curation keeps one of them
    assert len(rows) == 2
    by_language = {r["language"]: r for r in rows}
    assert all("return 3 * x" in r["messages"][1]["content"] for r in rows
               if r["language"] == "python")  # fmt: skip
    assert "return x / 2" in by_language["typescript"]["messages"][1]["content"]
    meta = json.loads(by_language["typescript"]["meta"])
    assert meta["pass_count"] == 2 and meta["sample"] == 0 and meta["concepts"]
    assert by_language["typescript"]["evidence"][0]["path"] == "web/larger.ts"
    rejected = pq.read_table(out / "rejected.parquet").to_pylist()
    reasons = {r["reason"] for r in rejected}
    assert {"tests_failed", "truncated", "no_code_block", "not_selected",
            "exact_duplicate"} <= reasons  # fmt: skip
    assert (out / "report.html").exists() and (out / "dataset" / "README.md").exists()
    assert again.to_json()["counts"]["examples"] == 2


def test_static_checks_reject_only_syntax_errors():
    from repomill.recipes.self_align.seeds import Seed
    from repomill.recipes.self_align.static_check import static_check
    from repomill.verify.runners import RUNNERS

    def seed(language, code):
        return Seed("id", "p", "f", language, code, "doc", 1, 3, "h")

    if RUNNERS["typescript"].available():
        ok = "export function f(a: number): number {\n  return a + elsewhere;\n}"
        assert static_check(seed("typescript", ok)) is None  # an unresolved name is fine
        assert static_check(seed("typescript", ok.replace("+ elsewhere", "+"))) == (
            "static_check_failed"
        )
    if RUNNERS["rust"].available():
        ok = "fn f(a: i32) -> i32 { a + elsewhere(a) }"
        assert static_check(seed("rust", ok)) is None
        assert static_check(seed("rust", "fn f(a: i32) -> i32 { a + }")) == "static_check_failed"
    if RUNNERS["java"].available():
        ok = "static int f(int a) { return a + Elsewhere.g(a); }"
        assert static_check(seed("java", ok)) is None
        assert static_check(seed("java", "static int f(int a) { return a + ; }")) == (
            "static_check_failed"
        )
    assert static_check(seed("python", "def f():\n    return 1")) is None  # tree-sitter checked it


def _cli_build(repo, out, url: str, tmp_path, *flags: str):
    from .test_cli import run_cli

    config = tmp_path / "repomill.toml"
    config.write_text("[llm]\nmax_retries = 1\n")
    return run_cli("build", "self-align", str(repo), "--out", str(out), "--quiet",
                   "--base-url", url, "--model", "fake", "--config", str(config), *flags)  # fmt: skip


@pytest.mark.parametrize(("server", "flags", "cause"), [
    (None, [], "connection failed: "),
    ({"fault": "500"}, [], "HTTP 500: busy (gave up after 2 attempts)"),
    ({"latency": 1.0}, ["--timeout", "0.2"], "timed out after 0.2 s (gave up after 2 attempts)"),
])  # fmt: skip
def test_every_model_call_failing_ends_with_the_cause(tmp_path, server, flags, cause):
    import contextlib

    repo = make_repo(tmp_path / "repo", {"lib/nums.py": PYTHON})
    with FakeOpenAI(**server) if server else contextlib.nullcontext() as fake:
        url = fake.url if fake else "http://127.0.0.1:9/v1"  # nothing listens on port 9
        done = _cli_build(repo, tmp_path / "out", url, tmp_path, *flags)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [done.stderr.strip()]  # one line
    assert done.stderr.startswith(f"repomill: error: 2 of 2 model calls failed (openai {url}): "
                                  f"{cause}")  # fmt: skip


def test_some_model_calls_failing_is_a_warning_and_rejected_rows_say_why(tmp_path):
    # word_count's concepts prompt (its code) asks for HTTP 500s; each task's first
    # response is a 5 MB reply that ignores max_tokens
    code = PYTHON.replace("whitespace-separated words", "words (FAULT:500)")
    repo = make_repo(tmp_path / "repo", {"lib/nums.py": code})

    def hostile(prompt: str, seed: int) -> tuple[str, str]:
        if "Solve the task" in prompt:
            return ("```a\n" * 1_050_000, "stop") if seed == 2 else (PY_GOOD, "stop")
        return script(prompt, seed)

    out = tmp_path / "out"
    with FakeOpenAI(script=hostile) as server:
        done = _cli_build(repo, out, server.url, tmp_path, "--samples", "2")
    assert done.returncode == 0, done.stderr
    warning = (f"repomill: warning: 2 of 5 model calls failed (openai {server.url}): HTTP 500: "
               "busy (gave up after 2 attempts) (and 1 other kind of error)")  # fmt: skip
    assert done.stderr.strip() == warning
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["model_calls"] == 5 and manifest["counts"]["model_calls_failed"] == 2
    assert manifest["warnings"] == [warning.removeprefix("repomill: warning: ")]
    rejected = {r["reason"]: r for r in pq.read_table(out / "rejected.parquet").to_pylist()}
    assert rejected["concepts_failed"]["stage"] == "generate"
    assert json.loads(rejected["concepts_failed"]["meta"])["error"].startswith("HTTP 500: busy")
    too_long = json.loads(rejected["too_long"]["meta"])
    assert too_long["sample"] == 0 and too_long["error"].startswith("reply too long: over ")
    rows = [row for path in (out / "dataset" / "data").glob("*.parquet")
            for row in pq.read_table(path).to_pylist()]  # fmt: skip
    assert len(rows) == 1 and "return 3 * x" in rows[0]["messages"][1]["content"]


def test_nothing_kept_names_the_responses_reasons(tmp_path):
    """Seeds reached the model and every response failed: the line names the responses'
    reasons, not the seeds dropped long before."""

    def failing(prompt: str, seed: int) -> tuple[str, str]:
        if "Solve the task" in prompt:
            return PY_BAD, "stop"
        return script(prompt, seed)

    repo = make_repo(tmp_path / "repo", {"lib/nums.py": PYTHON})
    with FakeOpenAI(script=failing) as server:
        done = _cli_build(repo, tmp_path / "out", server.url, tmp_path, "--samples", "1")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "0 responses passing their tests (top reasons: tests_failed: 2;" in done.stderr
    assert "no_docstring" not in done.stderr
    assert done.stderr.strip().endswith("try a larger model than fake on the server")


@pytest.mark.parametrize(
    ("backend", "model", "hint"),
    [
        ("embedded", None, "try a larger model (--model qwen2.5-coder-0.5b) or a model server"),
        ("embedded", "qwen2.5-coder-0.5b", "try a larger model (--model qwen2.5-coder-1.5b) or"),
        ("embedded", "qwen2.5-coder-1.5b", "try a model server (--llm openai --base-url URL"),
        ("embedded", "my/model.gguf", "try a model server"),
    ],
)
def test_what_to_try_when_nothing_is_kept_names_a_model_larger_than_the_one_used(
    backend, model, hint
):
    from repomill.llm.factory import LLMConfig
    from repomill.recipes.self_align.recipe import SelfAlignRecipe

    said = SelfAlignRecipe().nothing_kept_hint(LLMConfig(backend=backend, model=model))
    assert said.startswith(hint) and (model is None or f"--model {model})" not in said)


@pytest.mark.parametrize("language", ["python", "typescript", "javascript", "rust", "java"])
def test_the_example_answers_shown_to_the_model_pass_their_own_verification(language):
    """A few-shot answer that failed its tests, or whose tests checked nothing, would teach
    the model to write such answers."""
    from repomill.llm.types import Result
    from repomill.recipes.self_align import examples
    from repomill.recipes.self_align.generate import parse_response
    from repomill.verify.runners import RUNNERS
    from repomill.verify.sandbox import Limits
    from repomill.verify.verdict import verify_response

    if not RUNNERS[language].available():
        pytest.skip(f"no {language} toolchain")
    ((shown, answer),) = examples.responses(language)
    assert shown["language"] == language
    code, tests, reason = parse_response(Result(text=answer, finish_reason="stop"), language)
    assert reason == ""
    verdict = verify_response(language, code, tests, Limits(wall_seconds=60, cpu_seconds=60))
    assert verdict.passed, verdict.detail()
    assert verdict.mutants_run >= 1  # and a broken implementation fails them


def test_an_instruction_that_is_code_or_copies_an_example_is_rejected(tmp_path):
    def copying(prompt: str, seed: int) -> tuple[str, str]:
        if "List the programming concepts" in prompt:  # repeated items are dropped
            seed_concept = "doubling" if "double_all" in prompt else "word counting"
            return f"<concepts>{seed_concept}, lists, Lists, lists</concepts>", "stop"
        if "doubling, lists." in prompt:  # the seed's turn comes after the examples
            return "<instruction>Write a function `is_balanced` for brackets.</instruction>", "stop"
        if "word counting, lists." in prompt:
            return "<instruction>```python\ndef count(text):\n    pass\n```</instruction>", "stop"
        return script(prompt, seed)

    repo = make_repo(tmp_path / "repo", {"lib/nums.py": PYTHON})
    with FakeOpenAI(script=copying) as server:
        done = _cli_build(repo, tmp_path / "out", server.url, tmp_path, "--samples", "1")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "instruction_copies_example: 1" in done.stderr
    assert "instruction_is_code: 1" in done.stderr


def test_few_shot_examples_are_earlier_turns_of_the_chat():
    from repomill.llm.prompts import few_shot
    from repomill.recipes.self_align import examples
    from repomill.recipes.self_align.generate import distinct_concepts

    chat = few_shot("self_align/instruction", examples.INSTRUCTIONS, "self_align/system",
                    language="rust", concepts="traits", category="algorithm",
                    difficulty="hard")  # fmt: skip
    assert [m["role"] for m in chat] == ["system", "user", "assistant", "user", "assistant",
                                         "user"]  # fmt: skip
    assert "dictionary grouping" in chat[1]["content"] and "rust" in chat[1]["content"]
    assert chat[2]["content"] == examples.INSTRUCTIONS[0][1]
    assert "traits" in chat[-1]["content"] and "dictionary grouping" not in chat[-1]["content"]
    assert examples.copies_example("Write `digit_sum(n)` again")
    assert examples.copies_example("Write `digitSum(n)`, in TypeScript")
    assert not examples.copies_example("Write a function `digits` that…")
    assert distinct_concepts("a, b, A, , c, b") == "a, b, c"
    assert distinct_concepts(", ".join(f"c{i}" for i in range(20))).count(",") == 7
