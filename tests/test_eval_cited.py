"""`repomill eval` on free repo-QA rows: strict cited inference against a scripted server.
An answer with valid citations is accepted at the first try; one citing a chunk that does
not exist is asked again with feedback naming the error (seen in the second request) and
accepted when the retry is valid; one that stays invalid is rejected after k retries;
hostile output is rejected with a reason. Where the repository moved, the checks read the
rows' own evidence and say so; `--repo` points at it again."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections import Counter

import pytest

from repomill.errors import UserError
from repomill.evaluate import grounds
from repomill.evaluate.free_answers import citation_checks
from repomill.evaluate.run import evaluate
from repomill.export.read import read_dataset
from repomill.llm.factory import LLMConfig
from repomill.recipes.repo_qa.settings import RepoQAConfig

from .builds import build_recipe
from .conftest import make_repo
from .openai_server import FakeOpenAI
from .qa_apps import SHOP
from .test_repo_qa import _model as qa_model

UNKNOWN = "deadbeefdeadbeef"
RETRY = "Your answer was not accepted"  # the feedback turn's first words
SCENARIOS = ["valid", "fixable", "stubborn", "uncited", "malformed", "passwd", "huge",
             "invented", "FAULT:500"]  # fmt: skip


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """SHOP's repo-QA build with a model (its qa and design rows), and its repository."""
    root = tmp_path_factory.mktemp("cited")
    repo = make_repo(root / "repo", SHOP)
    with FakeOpenAI(script=qa_model) as server:
        llm = LLMConfig(backend="openai", base_url=server.url, model="fake", max_retries=1)
        build_recipe("repo-qa", repo, root / "out", RepoQAConfig(validation=0, test=0), llm=llm)
    rows = [row for split in read_dataset(root / "out").values() for row in split]
    qa = next(row for row in rows if row["task"] == "qa")
    design = next(row for row in rows if row["task"] == "design")
    return root, repo, qa, design


def _dataset(root, built, name: str):
    """A dataset whose test split is the qa row once per scenario (the scenario named in
    its question) and the design row, beside the build's manifest."""
    _, _, qa, design = built
    out = root / name
    (out / "data").mkdir(parents=True)
    shutil.copy(built[0] / "out" / "manifest.json", out / "manifest.json")
    rows = [_asking(qa, scenario) for scenario in SCENARIOS] + [design]
    with (out / "data" / "test-00000-of-00001.jsonl").open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row) + "\n")
    return out


def _asking(row: dict, scenario: str) -> dict:
    prompt = [dict(m) for m in row["prompt"]]
    prompt[-1]["content"] += f" (scenario {scenario})"
    return {**row, "prompt": prompt, "messages": [*prompt, *row["completion"]]}


def _script(qa: dict, design: dict):
    cite = qa["evidence"][0]["chunk_id"]
    good = f"- `OrderController.pay` passes the id on to `OrderService.pay` [{cite}]"
    answers = {
        "valid": lambda retry: good,
        "fixable": lambda retry: good if retry else f"- `OrderController.pay` calls [{UNKNOWN}]",
        "stubborn": lambda retry: f"- `OrderController.pay` calls the service [{UNKNOWN}]",
        "uncited": lambda retry: "The controller passes the order id on to the service layer.",
        "malformed": lambda retry: f"- `OrderController.pay` calls it [{cite}, {UNKNOWN}]",
        "passwd": lambda retry: (
            f"- `OrderController.pay` reads [../../etc/passwd:1-5] and [{UNKNOWN}:../../etc/passwd]"
        ),
        "huge": lambda retry: "x " * 2_500_000,
        "invented": lambda retry: f"- `OrderController.pay` calls `OrderService.refund` [{cite}]",
    }

    def script(prompt: str, seed: int) -> tuple[str, str]:
        if "Propose a design" in prompt:
            return design["completion"][0]["content"], "stop"
        scenario = re.search(r"\(scenario (\w+)\)", prompt).group(1)
        return answers[scenario](RETRY in prompt), "stop"

    return script


def _evaluate(dataset, out, server, **options):
    llm = LLMConfig(backend="openai", base_url=server.url, max_retries=0, timeout=10)
    return evaluate(dataset, "fake", None, out, None, 64, llm=llm, **options)


def _requests(server, scenario: str) -> list[list[dict]]:
    return [b["messages"] for b in server.bodies
            if f"(scenario {scenario})" in b["messages"][1]["content"]]  # fmt: skip


def test_strict_cited_inference_accepts_retries_and_rejects(built, tmp_path):
    _, _, qa, design = built
    dataset = _dataset(tmp_path, built, "data")
    with FakeOpenAI(script=_script(qa, design)) as server:
        report = _evaluate(dataset, tmp_path / "eval", server, retries=2)
        sent = {scenario: _requests(server, scenario) for scenario in SCENARIOS}
        asked = server.requests
    summary = report["tasks"]["repo-qa:qa"]["base"]
    n = len(SCENARIOS)
    assert summary["rows"] == n and report["notes"] == []
    assert summary["accepted_first_try"] == round(2 / n, 4)  # valid, invented
    assert summary["accepted_after_retries"] == round(1 / n, 4)  # fixable
    assert summary["rejected"] == round(6 / n, 4) and summary["accepted"] == round(3 / n, 4)
    # valid, invented: 1 try; fixable 2; FAULT:500 1 (failed: not asked again); the rest 3
    assert summary["mean_tries"] == round((1 + 1 + 2 + 1 + 5 * 3) / n, 4)
    assert [len(sent[s]) for s in SCENARIOS] == [1, 2, 3, 3, 3, 3, 3, 1, 1]
    assert summary["rejected_reasons"] == {
        "citation_not_in_evidence": 1, "unknown_chunk": 1,  # stubborn
        "uncited_answer": 1, "malformed_citation": 2,  # malformed; passwd
        "too_long": 1, "failed": 1}  # fmt: skip
    assert summary["hallucinating"] == round(1 / n, 4) and summary["checked"] == "repository"
    assert summary["reasons"]["hallucinated_identifier"] == 1  # invented: accepted, measured
    assert summary["ok"] == round(2 / n, 4)  # valid and fixable pass every check
    # the retry: the question, the failed answer, then the feedback naming what was wrong
    first, second = sent["fixable"]
    assert second[: len(first)] == first and [m["role"] for m in second[len(first) :]] == [
        "assistant", "user"]  # fmt: skip
    assert second[-2]["content"] == f"- `OrderController.pay` calls [{UNKNOWN}]"
    feedback = second[-1]["content"]
    assert feedback.startswith(RETRY) and UNKNOWN in feedback
    assert "citation_not_in_evidence" in feedback and "unknown_chunk" in feedback
    third = sent["stubborn"][2]  # the whole exchange: both answers and both feedbacks
    assert third[: len(sent["stubborn"][1])] == sent["stubborn"][1] and len(third) == 6
    assert "too_long" in sent["huge"][1][-1]["content"]
    assert sent["huge"][1][-2]["content"] == "(no usable answer)"
    design_summary = report["tasks"]["repo-qa:design"]["base"]
    assert design_summary["accepted_first_try"] == 1.0 and design_summary["rows"] == 1
    # the outputs: eval.json as returned, the table's rows and headline, the chart
    assert json.loads((tmp_path / "eval" / "eval.json").read_text()) == report
    table = (tmp_path / "eval" / "eval.md").read_text()
    assert "### repo-qa:qa" in table and "accepted_after_retries" in table
    assert f"| base | {n} | {summary['accepted']:.3f} |" in table
    assert (tmp_path / "eval" / "eval.png").stat().st_size > 1000
    # a second run asks again only what failed (failures are not cached): the failing
    # call, and the huge reply's three tries (each a too_long failure)
    with FakeOpenAI(script=_script(qa, design)) as server:
        again = _evaluate(dataset, tmp_path / "eval", server, retries=2)
        assert server.requests == 4 and asked == sum(len(r) for r in sent.values()) + 1
    assert again["tasks"] == report["tasks"]


def test_no_retries_rejects_at_the_first_failure(built, tmp_path):
    _, _, qa, design = built
    with FakeOpenAI(script=_script(qa, design)) as server:
        report = _evaluate(_dataset(tmp_path, built, "data"), tmp_path / "eval", server,
                           retries=0)  # fmt: skip
        assert all(len(_requests(server, s)) == 1 for s in SCENARIOS)
        with pytest.raises(UserError, match="--retries"):
            _evaluate(tmp_path / "data", tmp_path / "eval", server, retries=-1)
    summary = report["tasks"]["repo-qa:qa"]["base"]
    assert summary["accepted_after_retries"] == 0.0 and summary["mean_tries"] == 1.0


def test_a_moved_repository_checks_the_rows_evidence_and_says_so(built, tmp_path):
    root, repo, qa, design = built
    dataset = _dataset(tmp_path, built, "data")
    moved = tmp_path / "moved"
    shutil.copytree(repo, moved)
    manifest = json.loads((dataset / "manifest.json").read_text())
    manifest["source"]["root"] = str(tmp_path / "gone")
    (dataset / "manifest.json").write_text(json.dumps(manifest))
    with FakeOpenAI(script=_script(qa, design)) as server:
        report = _evaluate(dataset, tmp_path / "eval", server, retries=1)
        (note,) = report["notes"]
        assert "is not there" in note and "--repo" in note and "identifiers not checked" in note
        summary = report["tasks"]["repo-qa:qa"]["base"]
        assert summary["checked"] == "row evidence" and summary["hallucinating"] is None
        assert summary["accepted"] == round(3 / len(SCENARIOS), 4)  # the same three
        assert f"Note: {note}" in (tmp_path / "eval" / "eval.md").read_text()
        full = _evaluate(dataset, tmp_path / "again", server, retries=1, repo=moved)
        assert full["notes"] == [] and full["tasks"]["repo-qa:qa"]["base"]["checked"] == (
            "repository")  # fmt: skip
        elsewhere = make_repo(tmp_path / "other", {"a.py": "x = 1\n"})
        with pytest.raises(UserError, match=r"^--repo .*: no commit"):
            _evaluate(dataset, tmp_path / "other-eval", server, repo=elsewhere)
        with pytest.raises(UserError, match=r"^--repo .*: no such directory"):
            _evaluate(dataset, tmp_path / "other-eval", server, repo=tmp_path / "nowhere")
    (dataset / "manifest.json").unlink()  # no manifest: the same, said in other words
    with FakeOpenAI(script=_script(qa, design)) as server:
        (note,) = _evaluate(dataset, tmp_path / "eval3", server, retries=0)["notes"]
    assert note.startswith("no manifest.json in")


def test_row_grounds_read_only_the_row_s_snippets(built):
    _, _, qa, _ = built
    row = grounds.row_grounds(qa)
    shown = qa["snippets"][0]
    lines = row.read(shown["path"]).decode().split("\n")
    assert lines[shown["start_line"] - 1 : shown["end_line"]] == shown["text"].split("\n")
    for path in ("../../etc/passwd", "/etc/passwd", "src/nothing.java"):
        with pytest.raises(KeyError):
            row.read(path)
    # a chunk two entries cite (two methods of one mapper): either entry's lines are valid
    twice = [c for c, n in Counter(e["chunk_id"] for e in qa["evidence"]).items() if n > 1]
    assert twice
    for entry in (e for e in qa["evidence"] if e["chunk_id"] == twice[0]):
        cite = f"[{twice[0]}:{entry['start_line']}-{entry['end_line']}]"
        assert citation_checks(qa, f"- `OrderMapper` is named {cite}", row.chunks_by_id,
                               row.read).ok  # fmt: skip
    hostile = {**qa, "snippets": [{"path": "a", "start_line": 10**12, "text": "x"}, "junk"]}
    with pytest.raises(KeyError):
        grounds.row_grounds(hostile).read("a")


def test_eval_command_errors_are_one_line(tmp_path):
    (tmp_path / "data").mkdir()
    for flags, error in ((["--retries", "-1"], "--retries must be at least 0"),
                         (["--repo", str(tmp_path / "nowhere")], "no such directory")):  # fmt: skip
        done = subprocess.run([sys.executable, "-m", "repomill.cli", "eval", str(tmp_path),
                               *flags], capture_output=True, text=True)  # fmt: skip
        assert done.returncode == 2 and error in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_eval_runs_against_a_model_server_from_the_command_line(built, tmp_path):
    _, _, qa, design = built
    dataset = _dataset(tmp_path, built, "data")
    with FakeOpenAI(script=_script(qa, design)) as server:
        done = subprocess.run([sys.executable, "-m", "repomill.cli", "eval", str(dataset),
                               "--base-url", server.url, "--model", "fake", "--retries", "0",
                               "--quiet"], capture_output=True, text=True)  # fmt: skip
        asked = server.requests
    assert done.returncode == 0, done.stderr
    report = json.loads((dataset / "eval" / "eval.json").read_text())
    assert report["model"] == "fake" and report["tasks"]["repo-qa:qa"]["base"]["rows"] == len(
        SCENARIOS
    )
    assert asked >= len(SCENARIOS)  # every answer came from the server
    adapter = subprocess.run([sys.executable, "-m", "repomill.cli", "eval", str(dataset),
                              "--base-url", server.url, "--model", "fake", "--adapter",
                              str(tmp_path)], capture_output=True, text=True)  # fmt: skip
    assert adapter.returncode == 2 and "no --adapter" in adapter.stderr
