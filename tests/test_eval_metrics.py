"""The evaluation metrics (repomill.evaluate) on rows built from fixture repositories: the
reference answer of every target scores as exact, the old code as the baseline, and garbage
scores 0 without raising; pass@1 in the sandbox; repo-QA accuracy and citation checks."""

from __future__ import annotations

import json
import os
import time
from functools import partial
from pathlib import Path

import pytest

from repomill.code.analysis import analyze
from repomill.code.build import build_index
from repomill.code.settings import IndexConfig
from repomill.evaluate import commit_edits, free_answers, repo_qa, self_align
from repomill.evaluate.commit_edits import change_nothing_baseline, normalise, score_edit
from repomill.evaluate.similarity import similarity
from repomill.evaluate.syntax import parses
from repomill.export.read import read_dataset
from repomill.llm.factory import LLMConfig
from repomill.recipes.commits.settings import CommitsConfig
from repomill.recipes.commits.targets import fence
from repomill.recipes.repo_qa.evidence import EvidenceBook
from repomill.recipes.repo_qa.settings import RepoQAConfig
from repomill.recipes.self_align.settings import SelfAlignConfig
from repomill.sources import open_source
from repomill.verify import sandbox
from repomill.verify.sandbox import Limits

from .builds import build_recipe
from .conftest import commit, make_repo
from .openai_server import FakeOpenAI
from .qa_apps import SHOP
from .test_commits import MODELS, SERVICE, TS_UTIL
from .test_repo_qa import _model as qa_model
from .test_self_align import PYTHON
from .test_self_align import answer as tagged_answer
from .test_self_align import script as align_script

WITHDRAW = "\n\ndef withdraw(account: Account, amount: int) -> Account:\n    account.balance -= amount\n    return account\n"  # fmt: skip
BANK = {"service.py": SERVICE + WITHDRAW, "models.py": MODELS, "web/util.ts": TS_UTIL}


def _abs(code: str) -> str:
    return code.replace("balance += amount", "balance += abs(amount)").replace(
        "balance -= amount", "balance -= abs(amount)")  # fmt: skip


STEPS = [  # after the root commit, which adds every unit: changed, added, removed units
    ({"service.py": _abs(BANK["service.py"])}, "Take the absolute amount in deposit and withdraw"),
    ({"models.py": MODELS + "\n    def close(self) -> None:\n        self.balance = 0\n",
      "web/util.ts": TS_UTIL.replace("Math.min(Math.max(x, lo), hi)", "Math.max(lo, Math.min(x, hi))")},
     "Let accounts be closed, and clamp the lower bound last"),
    ({"service.py": _abs(BANK["service.py"]) + "\n\ndef transfer(a: Account, b: Account, amount: int)"
      " -> None:\n    withdraw(a, amount)\n    deposit(b, amount)\n"}, "Add transfer between accounts"),
    ({"service.py": _abs(SERVICE)}, "Remove withdraw and transfer: deposits only"),
]  # fmt: skip


@pytest.fixture(scope="module")
def commit_rows(tmp_path_factory):
    """target -> the rows (every split) of a bank repository's history in that target."""
    root = tmp_path_factory.mktemp("bank")
    repo = make_repo(root / "repo", BANK, "Start the bank service")
    for n, (files, message) in enumerate(STEPS, 1):
        commit(repo, files, message, when=1_700_000_000 + n * 86_400)
    for target in commit_edits.TARGETS:
        build_recipe("commits", repo, root / target, CommitsConfig(target=target, test=0))
    return {target: _rows(root / target) for target in commit_edits.TARGETS}


def _rows(out) -> list[dict]:
    return [row for split in read_dataset(out).values() for row in split]


def _answer(row) -> str:
    return row["messages"][-1]["content"]


@pytest.mark.parametrize("target", commit_edits.TARGETS)
def test_the_reference_answer_scores_exact(commit_rows, target):
    rows = commit_rows[target]
    assert len(rows) == 5 and {len(r["units"]) for r in rows} >= {2}  # the root adds all
    units = [u for row in rows for u in row["units"]]
    assert any(not u["old_code"] for u in units) and any(not u["new_code"] for u in units)
    for row in rows:
        score = score_edit(row, _answer(row))
        assert score.exact_match and score.parses and score.units_answered == score.units
        assert score.edit_similarity == 1.0 and score.applies is (
            None if target == "whole" else True
        )
    summary = commit_edits.summarise([score_edit(r, _answer(r)) for r in rows])
    assert summary["exact_match"] == summary["parses"] == 1.0 and summary["units"] > len(rows)


@pytest.mark.parametrize("target", commit_edits.TARGETS)
def test_the_old_code_scores_as_the_baseline(commit_rows, target):
    for row in commit_rows[target]:
        base = change_nothing_baseline(row)
        assert not base.exact_match and base.applies is None and base.edit_similarity < 1.0
    changed = _row(commit_rows[target], "Take")
    baseline = change_nothing_baseline(changed)  # a one-line change of each of two units
    assert baseline.parses and baseline.edit_similarity > 0.8


GARBAGE = ["", "I cannot help with that.", "```", "```python\n" + "x = 1\n" * 50,
           "<<<<<<< SEARCH\n", "@@ -1,2 +1,2 @@\n", "### service.py :: deposit\n```python\n",
           "=======\n>>>>>>> REPLACE\n" * 3, "\x00\ufffd" * 100, "@@ -1,2 +1,2 @@\n-nothing\n+x\n" * 100]  # fmt: skip
HUGE = ["x" * 2_000_000, "```python\n" + "y = 2\n" * 300_000, "```python\n" + "y = 2\n" * 300_000
        + "```\n", "<<<<<<< SEARCH\nimport os\n=======\n>>>>>>> REPLACE\n" * 30_000,
        "@@ -1,1 +1,1 @@\n-return account\n+pass\n" * 30_000]  # fmt: skip


@pytest.mark.parametrize("target", commit_edits.TARGETS)
def test_garbage_scores_zero_without_raising_and_in_linear_time(commit_rows, target):
    for row in commit_rows[target]:
        for garbage in GARBAGE:
            score = score_edit(row, garbage)
            assert not score.exact_match and not score.parses and not score.applies, garbage
            assert score.edit_similarity == 0.0 and score.units_answered == 0, garbage
        reference = _answer(row)
        cut = score_edit(row, reference[: len(reference) // 2])  # a truncated answer
        assert not cut.exact_match and cut.edit_similarity < 1.0
    started = time.perf_counter()
    for huge in [*HUGE, _answer(_row(commit_rows[target], "Take")) * 2000]:
        score_edit(_row(commit_rows[target], "Take"), huge)
    assert time.perf_counter() - started < 20


def _row(rows, start: str) -> dict:
    return next(r for r in rows if r["messages"][1]["content"].startswith(start))


def test_answers_that_are_not_the_reference(commit_rows):
    row = _row(commit_rows["search-replace"], "Take")  # SEARCH text not in the old code
    old = "    account.balance += amount\n    return account\n="
    score = score_edit(row, _answer(row).replace(old, old.replace("balance", "total")))
    assert score.edits == 2 and score.edits_applied == 1 and not score.applies
    assert not score.exact_match and 0.4 < score.edit_similarity < 0.6  # one unit of two
    spaced = _answer(row).replace("    return account\n=", "    return account   \n=")
    assert score_edit(row, spaced).exact_match  # trailing whitespace does not matter
    row = _row(commit_rows["udiff"], "Take")  # wrong line numbers, a fence: still applies
    diff = _answer(row)
    moved = diff.replace("@@ -4,3 +4,3 @@", "@@ -40,3 +41,3 @@").replace("@@ -9,", "@@ -2,")
    assert score_edit(row, moved).exact_match and score_edit(row, moved).applies
    assert score_edit(row, f"Here is the change:\n\n```diff\n{diff}\n```\n").exact_match
    score = score_edit(row, diff.replace("-    account.balance -= amount\n", "-    x -= 2\n"))
    assert not score.applies and score.edits_applied == 1 and not score.exact_match
    row = _row(commit_rows["whole"], "Take")  # by heading, or in order without headings
    deposit, withdraw = (fence("python", u["new_code"]) for u in row["units"])
    assert score_edit(row, f"{deposit}\n\nand\n\n{withdraw}\n").exact_match
    swapped = f"### service.py :: withdraw\n{withdraw}\n\n### service.py :: deposit\n{deposit}"
    assert score_edit(row, swapped).exact_match
    half = f"### service.py :: deposit\n{deposit}\n"
    score = score_edit(row, half)
    assert score.units_answered == 1 and score.edit_similarity == 0.5 and not score.parses
    score = score_edit(row, f"{half}### service.py :: withdraw\n{withdraw.replace('int)', 'int')}")
    assert not score.parses and not score.exact_match and score.edit_similarity > 0.9


def test_normalise_parses_and_similarity():
    assert normalise("def f():\r\n    return 1   \n\n\n") == "def f():\n    return 1"
    assert normalise("def f():\n  return 1") != normalise("def f():\n    return 1")
    assert parses("    def close(self):\n        self.balance = 0\n", "models.py")  # a method
    assert parses("public int size() { return n; }", "A.java") and parses("fn n() {}", "a.rs")
    assert not parses("def f(:\n    pass\n", "a.py") and not parses("function f( {", "a.ts")
    assert parses("anything at all {", "notes.txt")  # a language the index does not know
    assert similarity("abc", "abc") == 1.0 and similarity("", "abc") == 0.0
    assert similarity("def f():\n    return 1", "def f():\n    return 2") == pytest.approx(0.9545)
    assert similarity("a", "b" * 50_000) < 0.001


GOOD = "def triple(x):\n    return 3 * x"


def _response(code: str, tests: str = "assert triple(2) == 6") -> str:
    return tagged_answer("python", code, tests)


@pytest.fixture(scope="module")
def self_align_row(tmp_path_factory):
    if sandbox.bwrap_path() is None:
        pytest.skip("bubblewrap is missing")
    repo = make_repo((root := tmp_path_factory.mktemp("align")) / "repo", {"lib/nums.py": PYTHON})
    with FakeOpenAI(script=align_script) as server:  # sample 0 fails, sample 1 passes
        llm = LLMConfig(backend="openai", base_url=server.url, model="fake", max_retries=1)
        config = SelfAlignConfig(samples=2, validation=0, test=0)
        build_recipe("self-align", repo, root / "out", config, llm=llm)
    return read_dataset(root / "out")["train"][0]  # both seeds got the same answer: one row


def test_pass_at_1_runs_the_row_s_tests_in_the_sandbox(self_align_row, tmp_path):
    row, limits = self_align_row, Limits(wall_seconds=20, cpu_seconds=20)
    assert "assert triple(2) == 6" in self_align.reference_tests(row)
    assert self_align.pass_at_1(row, _answer(row), limits).passed  # the reference passes
    bare = "Here you go:\n```python\ndef triple(x):\n    return x + x + x\n```\n"
    wrong = _response("def triple(x):\n    return 2 * x", tests="assert True")  # own tests
    planted = Path.home() / f".repomill-eval-planted-{os.getpid()}"  # outside /tmp
    hostile = ("import os\nSECRET = os.environ.get('HOME', '')\n"
               f"open({str(planted)!r}, 'w').write(SECRET)\n" + GOOD)  # fmt: skip
    reads_env = "import os\n\ndef triple(x):\n    os.environ.get('PATH')\n    return 3 * x"
    pairs = [(row, bare), (row, wrong), (row, "no code at all"), (row, _response(hostile)),
             (row, _response(reads_env)), (row, "```python\ndef triple(x:\n```")]  # fmt: skip
    cache = tmp_path / "verify.sqlite"
    try:
        results = self_align.pass_at_1_many(pairs, limits, workers=4, cache_path=cache)
    finally:
        escaped = planted.exists()
        planted.unlink(missing_ok=True)
    assert not escaped  # the hostile write failed, inside the sandbox, and gets a verdict:
    assert [r.reason for r in results] == ["", "tests_failed", "no_code_block", "tests_failed",
                                           "", "syntax_error"]  # fmt: skip
    assert self_align.pass_at_1_many(pairs, limits, cache_path=cache) == results  # cached
    assert self_align.summarise(results)["pass_at_1"] == round(2 / 6, 4)
    assert self_align.pass_at_1({**row, "language": "cobol"}, bare, limits).reason == "unsupported_language"  # fmt: skip


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """SHOP's repo-QA rows (a model adds qa and design rows), chunks, a reader, known names."""
    repo = make_repo((root := tmp_path_factory.mktemp("shop")) / "repo", SHOP)
    with FakeOpenAI(script=qa_model) as server:
        llm = LLMConfig(backend="openai", base_url=server.url, model="fake", max_retries=1)
        build_recipe("repo-qa", repo, root / "out", RepoQAConfig(validation=0, test=0), llm=llm)
    rows = _rows(root / "out")
    index = build_index(open_source(repo), IndexConfig(workers=1), None, show_progress=False).index

    def read(path: str) -> bytes:
        return (repo / path).read_bytes()

    analysis = analyze(index, read, sorted(SHOP))
    book = EvidenceBook(index, read, analysis.nodes, analysis.statements)
    return rows, book.chunks, read, book.known


def test_exact_qa_accuracy_of_the_reference_and_of_wrong_answers(shop):
    rows = [row for row in shop[0] if row["task"] == "qa_exact"]
    assert len(rows) > 10
    for row in rows:
        score = repo_qa.answer_accuracy(row, _answer(row))
        assert score.accuracy == 1.0 and score.exact and score.expected >= 1, _answer(row)
    guards = next(r for r in rows if json.loads(r["meta"])["kind"] == "guards")
    assert repo_qa.answer_accuracy(guards, _answer(guards).replace("`", "")).exact  # unquoted
    flow = next(
        r for r in rows if "OrderMapper.updateStatus" in _answer(r) and "depth first" in _answer(r)
    )
    partial = repo_qa.answer_accuracy(flow, "\n".join(_answer(flow).splitlines()[:3]))
    assert 0 < partial.accuracy < 1 and not partial.exact
    invented = f"{_answer(flow)}\n- `OrderServiceImpl.refund`, `OrderMapper.cancel`"
    wrong = repo_qa.answer_accuracy(flow, invented)
    assert wrong.accuracy == 1.0 and not wrong.exact
    assert set(wrong.extra) == {"OrderServiceImpl.refund", "OrderMapper.cancel"}
    lookalike = _answer(flow).replace("`OrderMapper.updateStatus`", "`OrderMapper.updateStatusX`")
    assert repo_qa.answer_accuracy(flow, lookalike).accuracy < 1.0
    for garbage in GARBAGE + ["`" * 10_000, "x" * 1_000_000]:
        assert repo_qa.answer_accuracy(flow, garbage).accuracy == 0.0
    scores = [repo_qa.answer_accuracy(r, _answer(r)) for r in rows] + [partial, wrong]
    summary = repo_qa.summarise(scores)
    assert summary["rows"] == len(scores) and 0.9 < summary["accuracy"] < 1.0
    assert summary["exact"] == round(len(rows) / (len(rows) + 2), 4)


def test_free_answer_checks(shop):
    rows, chunks, read, known = shop
    qa = next(r for r in rows if r["task"] == "qa")
    design = next(r for r in rows if r["task"] == "design")
    check = partial(free_answers.free_answer_checks, chunks_by_id=chunks, read=read, known=known)
    reference = check(qa, _answer(qa))
    assert reference.ok and reference.citations == reference.in_evidence == reference.existing == 1
    assert check(design, _answer(design)).ok  # its new component need not exist
    cited = qa["evidence"][0]
    lines = (read(cited["path"]).decode().split("\n"))[cited["start_line"] - 1 : cited["end_line"]]
    where = f"[{cited['chunk_id']}:{cited['start_line']}-{cited['end_line']}]"
    quoted = f"- `OrderController.pay` calls the service {where}:\n\n```java\n" + "\n".join(lines)
    assert check(qa, quoted + "\n```\n").ok  # verbatim lines of the cited range
    altered = check(qa, quoted.replace("pay", "payNow") + "\n```\n")
    assert "altered_snippet" in altered.reasons and altered.verbatim == 0
    other = next(c for c in chunks.values() if c["chunk_id"] not in
                 {e["chunk_id"] for e in qa["evidence"]} and "start_line" in c)  # fmt: skip
    outside = check(qa, f"- `OrderController.pay` is defined here [{other['chunk_id']}]")
    assert outside.reasons == ("citation_not_in_evidence",) and outside.existing == 1
    unknown = check(qa, "- `OrderController.pay` calls the service [deadbeefdeadbeef]")
    assert unknown.reasons == ("citation_not_in_evidence", "unknown_chunk")
    text = _answer(qa).replace("`OrderService.pay`", "`OrderService.refund`")
    invented, names = check(qa, text), free_answers.identifier_checks(qa, text, known)
    assert invented.reasons == names.reasons == ("hallucinated_identifier",)
    assert invented.hallucinated == names.hallucinated == ("OrderService.refund",)
    assert free_answers.citation_checks(qa, text, chunks, read).ok  # its citations are fine
    uncited = check(qa, "The controller hands the order id over to the service layer.")
    assert uncited.reasons == ("uncited_answer",) and not uncited.citations
    for garbage in GARBAGE + ["[" + "a" * 20 + "]" * 50_000, "`x` " * 100_000]:
        assert not check(qa, garbage).ok
    summary = free_answers.summarise([reference, altered, outside, unknown, invented, uncited])
    assert summary["ok"] == round(1 / 6, 4) and summary["reasons"]["citation_not_in_evidence"] == 2
    assert summary["hallucinating"] == round(2 / 6, 4)  # altered names `payNow` too


def test_a_repeated_heading_answers_its_units_in_order():
    """Overloads share `### path :: symbol`: their sections go to them in order."""
    first, second = (
        "@overload\ndef f(x: int) -> int: ...\n",
        "@overload\ndef f(x: str) -> str: ...\n",
    )
    units = [{"path": "a.py", "old_path": "a.py", "symbol": "f", "kind": "function",
              "old_code": code.replace("...", "pass"), "new_code": code, "old_start_line": n,
              "new_start_line": n} for n, code in ((1, first), (4, second))]  # fmt: skip
    row = {"id": "r", "units": units, "meta": json.dumps({"target": "whole"})}
    answer = f"### a.py :: f\n{fence('python', first)}\n\n### a.py :: f\n{fence('python', second)}"
    score = score_edit(row, answer)
    assert score.exact_match and score.units_answered == 2
    score = score_edit(row, f"### a.py :: f\n{fence('python', first)}")  # one section: one unit
    assert score.units_answered == 1 and not score.exact_match
