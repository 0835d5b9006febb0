"""The repo-QA recipe on the two fixture applications: exact answers against the truth
written by hand in qa_apps.py, evidence that is exactly the commit's lines, identifiers
that exist, splits by domain, and the failure modes (no code, an invented identifier)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import defaultdict

import pytest

from repomill.code.analysis import analyze
from repomill.code.build import build_index
from repomill.code.settings import IndexConfig
from repomill.export.read import read_dataset, read_rejected
from repomill.llm.factory import LLMConfig
from repomill.recipes.repo_qa.evidence import EvidenceBook
from repomill.recipes.repo_qa.exact import QA
from repomill.recipes.repo_qa.settings import RepoQAConfig
from repomill.sources import open_source

from .builds import build_recipe
from .conftest import make_repo
from .openai_server import FakeOpenAI
from .qa_apps import (
    LIBRARY,
    LIBRARY_FLOW_DATA_ACCESS,
    SHOP,
    SHOP_ENDPOINTS,
    SHOP_FLOW_DATA_ACCESS,
)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Both applications built once: name -> (repo, rows by kind, rejected rows)."""
    found = {}
    for name, files in (("shop", SHOP), ("library", LIBRARY)):
        root = tmp_path_factory.mktemp(name)
        repo = make_repo(root / "repo", files)
        out = root / "out"
        build_recipe("repo-qa", repo, out, RepoQAConfig(validation=0, test=0))  # all in train
        rows = [row for split in read_dataset(out).values() for row in split]
        by_kind = defaultdict(list)
        for row in rows:
            by_kind[json.loads(row["meta"])["kind"]].append(row)
        found[name] = (repo, out, by_kind, read_rejected(out))
    return found


def _answer(row) -> str:
    return row["messages"][-1]["content"]


def _flow_data_access(row) -> set[str]:
    """`Mapper.method` names in the flow answer's last line ("It reaches … `A`, `B`.")."""
    last = _answer(row).splitlines()[-1]
    return {part.strip(" `.") for part in last.split("data access", 1)[-1].split(",")}


def test_every_flow_reaches_exactly_the_data_access_of_the_truth(built):
    for name, truth in (("shop", SHOP_FLOW_DATA_ACCESS), ("library", LIBRARY_FLOW_DATA_ACCESS)):
        _, _, by_kind, _ = built[name]
        flows = {json.loads(r["meta"])["subject"].split("::")[1]: r for r in by_kind["flow"]}
        assert set(flows) == set(truth), name
        for entry, expected in truth.items():
            assert _flow_data_access(flows[entry]) == expected, (name, entry)


def test_endpoints_reaching_a_mapper_method_are_the_ones_that_call_it(built):
    _, _, by_kind, _ = built["shop"]
    answers = {
        json.loads(r["meta"])["subject"].split("::")[1]: r for r in by_kind["endpoints_reaching"]
    }
    reaching = answers["OrderMapper.updateStatus"]
    routes = {f"{m} {p}" for (m, p), handler in SHOP_ENDPOINTS.items()
              if "OrderMapper.updateStatus" in SHOP_FLOW_DATA_ACCESS[handler]}  # fmt: skip
    assert routes == {"POST /order/pay/{id}", "POST /order/cancel/{id}"}
    for route in routes:
        assert f"`{route}`" in _answer(reaching)
    assert "/order/create" not in _answer(reaching) and "2 entry points reach" in _answer(reaching)


def test_guards_and_transitions_answer_with_the_code_s_own_conditions(built):
    _, _, by_kind, _ = built["shop"]
    guards = {
        json.loads(r["meta"])["subject"].split("::")[1]: _answer(r) for r in by_kind["guards"]
    }
    assert "`order.getStatus() != OrderStatus.CREATED`" in guards["OrderServiceImpl.pay"]
    assert "`product == null`" in guards["OrderServiceImpl.create"]
    (status,) = by_kind["state_transitions"]
    for value in ("OrderStatus.CREATED", "OrderStatus.PAID", "OrderStatus.CANCELLED"):
        assert f"`{value}`" in _answer(status)
    _, _, library, _ = built["library"]
    (loans,) = library["state_transitions"]
    assert "`BookStatus.LOANED` in `borrow_book`" in _answer(loans)


def test_evidence_is_exactly_the_lines_of_the_commit(built):
    for name in ("shop", "library"):
        repo, _, by_kind, _ = built[name]
        rows = [row for kind in by_kind.values() for row in kind]
        assert rows
        for row in rows:
            assert row["evidence"] and len(row["evidence"]) == len(row["snippets"])
            for snippet in row["snippets"]:
                lines = (repo / snippet["path"]).read_text().split("\n")
                assert snippet["text"] == "\n".join(
                    lines[snippet["start_line"] - 1 : snippet["end_line"]]
                )
            trace = json.loads(row["meta"])["trace"]
            cited = {e["chunk_id"] for e in row["evidence"]}
            assert trace and all(step["cites"] in cited for step in trace)


def test_an_invented_identifier_or_an_altered_line_is_rejected(tmp_path):
    repo = make_repo(tmp_path / "repo", SHOP)
    source = open_source(repo)
    index = build_index(source, IndexConfig(workers=1), None, show_progress=False).index

    def read(path):
        return (repo / path).read_bytes()

    paths = sorted(str(p.relative_to(repo)) for p in repo.rglob("*") if p.is_file()
                   and ".git" not in p.parts)  # fmt: skip
    analysis = analyze(index, read, paths)
    book = EvidenceBook(index, read, analysis.nodes, analysis.statements)
    pay = next(n for n in analysis.nodes if n.endswith("OrderServiceImpl.pay"))
    true = QA("guards", "When does `OrderServiceImpl.pay` refuse?", "When `order` is paid.",
              [], [pay])  # fmt: skip
    assert book.problem(true) is None
    invented = QA("guards", "When does `OrderServiceImpl.refund` refuse?", "Never.", [], [pay])
    assert book.problem(invented).reason == "hallucinated_identifier"
    changed = {**SHOP}
    path = next(p for p in SHOP if p.endswith("OrderServiceImpl.java"))
    changed[path] = SHOP[path].replace("order is not awaiting payment", "order is not awaiting")

    def stale(p):  # the blob of another commit than the one indexed
        return changed[p].encode() if p in changed else read(p)

    assert EvidenceBook(index, stale, analysis.nodes, analysis.statements).problem(true)


def test_splits_are_by_domain_and_the_domain_map_is_written(tmp_path):
    out = tmp_path / "out"
    build_recipe("repo-qa", make_repo(tmp_path / "repo", SHOP), out, RepoQAConfig(test=0.3))
    domains = json.loads((out / "domains.json").read_text())
    assert {d["name"] for d in domains["domains"]} == {"order", "product"}
    order = next(d for d in domains["domains"] if d["name"] == "order")
    assert any(e.endswith("OrderController.pay") for e in order["entry_points"])
    split_of = {}
    for split, rows in read_dataset(out).items():
        for row in rows:
            domain = json.loads(row["meta"])["domain"]
            assert split_of.setdefault(domain, split) == split
    dataset = read_dataset(out)
    train = {e["chunk_id"] for row in dataset["train"] for e in row["evidence"]}
    for split in set(dataset) - {"train"}:  # no evaluation row cites what a train row cites
        assert all(not {e["chunk_id"] for e in row["evidence"]} & train for row in dataset[split])
    assert all(r["stage"] == "split.evidence" for r in read_rejected(out)
               if r["reason"] == "evidence_in_train")  # fmt: skip
    page = (out / "report.html").read_text()
    assert '"domains": {"domains"' in page and '"snippets"' in page


def test_the_command_needs_no_model_and_says_why_nothing_was_built(tmp_path):
    def build(repo, out):
        return subprocess.run([sys.executable, "-m", "repomill.cli", "build", "repo-qa", str(repo),
                               "--out", str(out), "--quiet"], capture_output=True, text=True)  # fmt: skip

    done = build(make_repo(tmp_path / "lib", LIBRARY), tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert read_dataset(tmp_path / "out")["train"]
    empty = build(make_repo(tmp_path / "docs", {"README.md": "# docs\n"}), tmp_path / "none")
    assert empty.returncode == 2 and empty.stderr.count("\n") == 1
    assert "nothing to export" in empty.stderr


def _excerpts(prompt: str) -> list[str]:
    return re.findall(r"^\[([0-9a-f]{8,64})\] ", prompt, re.M)


def _model(prompt: str, seed: int) -> tuple[str, str]:
    """A scripted model: good and bad answers by topic, so each check gets its case."""
    ids = _excerpts(prompt) or re.findall(r"^- \[([0-9a-f]{8,64})\]", prompt, re.M)
    if "Name the business domain" in prompt:  # one good name, one unusable: kept as it was
        good = "OrderController" in prompt
        return ("<name>order handling</name>" if good else "Products, and all the rest"), "stop"
    if 'Its "order-handling" domain' in prompt:
        return (f"<requirement>Refund a paid order.</requirement><assumptions>Payments can be "
                f"reversed.</assumptions><existing>`OrderServiceImpl` [{ids[0]}]</existing>"
                "<new>OrderRefundService (service)</new><calls>OrderController -> "
                "OrderRefundService\nOrderRefundService -> OrderMapper</calls><steps>1. Add the "
                "service.</steps><risks>Double refunds.</risks>", "stop")  # fmt: skip
    if 'Its "product" domain' in prompt:
        return ("<requirement>Rename products.</requirement><assumptions>None.</assumptions>"
                "<existing>ProductController</existing><new>ProductRenamer (service)</new>"
                "<calls>ProductController -> ProductMapper</calls><steps>1. Call the mapper."
                "</steps><risks>None.</risks>", "stop")  # fmt: skip
    topic = re.search(r"about (.*?)\. Each excerpt", prompt, re.S).group(1)
    answers = {
        "the flow of `POST /order/pay/{id}` (`OrderController.pay`)":
            f"- `OrderController.pay` passes the id on to `OrderService.pay` [{ids[0]}]",
        "the flow of `POST /order/cancel/{id}` (`OrderController.cancel`)":
            "- `OrderController.cancel` hands the order over to the service [deadbeefdeadbeef]",
        "the checks of `OrderServiceImpl.pay`":
            f"- `OrderServiceImpl.refund` is called when the order is not created [{ids[0]}]",
        "the checks of `OrderServiceImpl.create`":
            "The quantity must lie between one and the maximum quantity allowed.",
    }  # fmt: skip
    if topic not in answers:
        return "I would rather not say.", "stop"
    return f"<question>What happens in {topic}?</question><answer>{answers[topic]}</answer>", "stop"


def test_with_a_model_only_answers_whose_checks_pass_are_kept(tmp_path):
    repo = make_repo(tmp_path / "repo", SHOP)
    out = tmp_path / "out"
    with FakeOpenAI(script=_model) as server:
        llm = LLMConfig(backend="openai", base_url=server.url, model="fake", max_retries=1)
        manifest = build_recipe("repo-qa", repo, out, llm=llm).to_json()
    rows = [row for split in read_dataset(out).values() for row in split]
    model_rows = [r for r in rows if r["task"] in ("qa", "design")]
    assert sorted(r["task"] for r in model_rows) == ["design", "qa"]
    (qa,) = [r for r in model_rows if r["task"] == "qa"]
    assert "OrderController.pay" in qa["messages"][1]["content"]
    (design,) = [r for r in model_rows if r["task"] == "design"]
    assert "OrderRefundService" in design["messages"][2]["content"]
    reasons = {r["reason"] for r in read_rejected(out) if r["stage"] in ("model_qa", "design")}
    assert reasons >= {"citation_not_in_evidence", "hallucinated_identifier",
                                     "uncited_answer", "layering_violation",
                                     "missing_question"}  # fmt: skip
    assert manifest["counts"]["model_calls"] > 0
    assert manifest["counts"]["domains_named_by_the_model"] == 1
    names = {d["name"] for d in json.loads((out / "domains.json").read_text())["domains"]}
    assert names == {"order-handling", "product"}
    assert manifest["stages"]["exact_qa"]["records_out"] > 0  # exact QA is there as well
