"""verify/ on repo-QA samples of the SHOP and LIBRARY apps: true evidence, citations that
name it, claims that cite, identifiers that exist, designs that fit; hostile answers."""

from __future__ import annotations

import time

import pygit2
import pytest

from repomill.code.build import build_index
from repomill.code.settings import IndexConfig
from repomill.sources import open_source
from repomill.verify.citations import Citation, Problem, check_citations, citations
from repomill.verify.citations import render_citation as cite
from repomill.verify.design_check import check_design, observed_layer_calls
from repomill.verify.evidence import check_evidence, snippet
from repomill.verify.identifiers import check_identifiers, known_identifiers, named_identifiers

from .conftest import make_repo
from .qa_apps import LIBRARY, SHOP

IMPL = "src/main/java/com/shop/order/service/impl/OrderServiceImpl.java"


class App:
    def __init__(self, root, files):
        repo = make_repo(root, files)
        self.index = build_index(open_source(repo), IndexConfig(workers=1), None,
                                 show_progress=False).index  # fmt: skip
        self.git = pygit2.Repository(str(repo))
        self.chunks = {c["chunk_id"]: c for c in self.index.chunks}
        self.known = known_identifiers(self.index)

    def read(self, path: str) -> bytes:
        return self.git.revparse_single(f"HEAD:{path}").data

    def check(self, evidence: list, read=None, shown=None) -> str | None:
        return reason(check_evidence(evidence, self.chunks, read or self.read, shown))

    def named(self, answer: str, declared=frozenset()) -> str | None:
        return reason(check_identifiers(answer, self.known, declared))

    def entry(self, qualname: str) -> dict:
        """The evidence entry of a definition: its chunk, at the definition's own lines."""
        s = next(s for s in self.index.symbols if s["qualname"] == qualname)
        return {"chunk_id": s["chunk_id"], "path": s["path"],
                "start_line": s["start_line"], "end_line": s["end_line"]}  # fmt: skip


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    return App(tmp_path_factory.mktemp("qa") / "shop", SHOP)


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    return App(tmp_path_factory.mktemp("qa") / "library", LIBRARY)


def key(e: dict) -> str:
    return cite(e["chunk_id"], e["start_line"], e["end_line"])[1:-1]


def reason(problem: Problem | None) -> str | None:
    return problem.reason if problem else None


def test_true_evidence_passes_and_planted_faults_are_caught(shop):
    pay = shop.entry("OrderServiceImpl.pay")
    text = snippet(shop.read, IMPL, pay["start_line"], pay["end_line"])
    lines = SHOP[IMPL].split("\n")[pay["start_line"] - 1 : pay["end_line"]]
    assert text == "\n".join(lines) and text.startswith("    @Override") and text.endswith("}")
    assert snippet(lambda p: b"a  \r\nb\t\r\nlast", "x", 1, 3) == "a  \nb\t\nlast"
    assert snippet(lambda p: b"a\nb\n", "x", 2, 2) == "b"
    for path, data, lines in ((IMPL, SHOP[IMPL].encode(), 10_000), ("x", b"a\nb\n", 3),
                              ("x", b"\xff\n", 1)):  # fmt: skip
        with pytest.raises(ValueError):  # the final newline starts no line
            snippet(lambda p, data=data: data, path, lines, lines)
    assert shop.check([pay], shown={key(pay): text}) is None
    assert shop.check([pay], shown={pay["chunk_id"]: text, f"[{key(pay)}]": text}) is None
    cases = {
        "unknown_chunk": {**pay, "chunk_id": "0" * 32},
        "wrong_path": {**pay, "path": "src/main/java/com/shop/order/mapper/OrderMapper.java"},
        "lines_outside_chunk": {**pay, "end_line": shop.chunks[pay["chunk_id"]]["end_line"] + 1},
        "malformed_evidence": {**pay, "start_line": "7"},
    }
    for expected, entry in cases.items():
        assert shop.check([entry]) == expected
    assert shop.check([{**pay, "start_line": 1}]) == "lines_outside_chunk"
    for malformed in ({"chunk_id": pay["chunk_id"]}, {**pay, "end_line": True}, "x", None):
        assert shop.check([pay, malformed]) == "malformed_evidence"
    assert shop.check([{**pay, "start_line": pay["end_line"] + 1}]) == "malformed_evidence"
    assert shop.check([]) == "no_evidence"
    cancel = shop.entry("OrderServiceImpl.cancel")  # shown, but not evidence of the sample
    shown = {key(cancel): snippet(shop.read, IMPL, cancel["start_line"], cancel["end_line"])}
    assert shop.check([pay], shown=shown) == "citation_not_in_evidence"
    assert shop.check([pay], shown={"not a key": text}) == "malformed_evidence"


@pytest.mark.parametrize(
    "alter",
    [lambda t: t.replace("PAID", "PAYED", 1), lambda t: t.replace("id);", "id); ", 1),
     lambda t: t + "\n", lambda t: t.replace("    ", "\t", 1), lambda t: t[:-1]],
    ids=["one-word", "trailing-space", "trailing-newline", "tab", "last-char"],
)  # fmt: skip
def test_altered_snippet(shop, alter):
    pay = shop.entry("OrderServiceImpl.pay")
    text = snippet(shop.read, IMPL, pay["start_line"], pay["end_line"])
    problem = check_evidence([pay], shop.chunks, shop.read, {key(pay): alter(text)})
    assert reason(problem) == "altered_snippet" and key(pay) in problem.detail
    assert shop.check([pay], shown={pay["chunk_id"]: alter(text)}) == "altered_snippet"


def test_unreadable_or_stale_blobs_and_crlf(shop, tmp_path):
    pay = shop.entry("OrderServiceImpl.pay")

    def missing(path: str) -> bytes:
        raise KeyError(path)

    assert shop.check([pay], lambda p: b"\xff\xfe" * 500) == "unreadable_evidence"
    assert shop.check([pay], missing) == "unreadable_evidence"
    moved = ("// a comment added above\n" + SHOP[IMPL]).encode()
    assert shop.check([pay], lambda p: moved) == "stale_chunk"
    assert shop.check([pay], lambda p: b"short\n") == "stale_chunk"
    latin1 = SHOP[IMPL].replace("not awaiting", "n\xe4t awaiting").encode("latin-1")
    assert shop.check([pay], lambda p: latin1) == "unreadable_evidence"
    crlf = "def f(x):  \r\n    return x\t\r\n\r\n\r\ndef g():\r\n    pass\r\n"
    app = App(tmp_path / "crlf", {"a.py": crlf})
    f = app.entry("f")
    assert snippet(app.read, "a.py", 1, 2) == "def f(x):  \n    return x\t"
    assert app.check([f], shown={key(f): "def f(x):  \n    return x\t"}) is None
    assert app.check([f], shown={key(f): "def f(x):\n    return x"}) == "altered_snippet"
    assert app.check([f], shown={key(f): "def f(x):  \r\n    return x\t"}) == "altered_snippet"


def test_citation_syntax_and_citations_outside_the_evidence(shop):
    cid, other = "0123456789abcdef" * 2, "fedcba9876543210" * 2
    answer = f"It pays [{cid}:12-15], see [[{other}]] and [x [{cid}:7]]. `[{other}]` is code."
    assert citations(answer) == [Citation(cid, 12, 15), Citation(other), Citation(cid, 7, 7)]
    assert cite(cid) == f"[{cid}]" and cite(cid, 3, 9) == f"[{cid}:3-9]" and cite(cid, 4) == (
        f"[{cid}:4-4]")  # fmt: skip
    assert citations(f"[{cid}, {other}] [{cid}:9-3] [{cid}:a]") == []
    pay, mapper = shop.entry("OrderServiceImpl.pay"), shop.entry("OrderMapper")
    claim = "Paying an order checks its status first "
    for bad in (cite(mapper["chunk_id"]), cite("ab" * 16),
                cite(pay["chunk_id"], pay["start_line"] - 1, pay["end_line"])):  # fmt: skip
        assert reason(check_citations(claim + bad, [pay])) == "citation_not_in_evidence"
    for bad in (f"[{pay['chunk_id']}, {mapper['chunk_id']}]", f"[{pay['chunk_id']}:9-3]"):
        assert reason(check_citations(claim + bad, [pay])) == "malformed_citation"


def test_claims_must_cite_evidence_of_the_sample(shop):
    pay, create = shop.entry("OrderServiceImpl.pay"), shop.entry("OrderServiceImpl.create")
    ev = [pay, create]
    good = (
        f"## Paying an order\n\n`OrderServiceImpl.pay` rejects an order that is not CREATED "
        f"{cite(pay['chunk_id'])}.\n\nIt does so in two steps:\n\n"
        f"- reads the order {cite(pay['chunk_id'], pay['start_line'] + 3, pay['start_line'] + 3)}\n"
        f"- sets `OrderStatus.PAID` [{create['chunk_id']}][{pay['chunk_id']}]\n\n"
        "```java\norderMapper.updateStatus(order);\n```\n\nIn short: yes.\n"
    )
    assert check_citations(good, ev) is None
    uncited = good + "\nThe service also writes an audit record for every payment.\n"
    problem = check_citations(uncited, ev)
    assert reason(problem) == "uncited_answer" and "audit record" in problem.detail
    in_code = f"Paying sets the status to PAID in `{cite(pay['chunk_id'])}` code."
    table = f"| step | where |\n|---|---|\n| pay | {cite(pay['chunk_id'])} |\n| refund | none |"
    for bad in (good + "- and retries on failure\n", in_code, table):
        assert reason(check_citations(bad, ev)) == "uncited_answer"
    assert check_citations(table.rsplit("\n", 1)[0], ev) is None
    assert reason(check_citations("  \n", ev)) == "empty_answer"


def test_invented_identifiers_rejected_real_ones_pass(shop, library):
    for real in ("`OrderServiceImpl.pay`", "`OrderStatus.PAID`", "`orderMapper`", "`OrderServiceImpl#pay`",
                 "`this.orderMapper.insert(order)`", "`OrderServiceImpl.MAX_QUANTITY`",
                 "`OrderService.create()`", "`@Transactional`", "`OrderStatus.values()`"):  # fmt: skip
        assert shop.named(f"It uses {real}.") is None, real
    problem = check_identifiers("`OrderService.refund` calls `cancelAll`", shop.known)
    assert problem == Problem("hallucinated_identifier", "OrderService.refund, cancelAll")
    for invented in ("`OrderServiceImpl.getStatus`", "`OrderStatus.REFUNDED`", "`refund()`", "`OrderService#refund`",
                     "`quantity out of range`", "```java\norderMapper.deleteAll();\n```"):  # fmt: skip
        assert shop.named(invented) == "hallucinated_identifier"
    answer = "Add `RefundService.refund(order)` and `OrderService.refund`."  # declared new
    declared = {"RefundService", "RefundService.refund()", "OrderService::refund"}
    assert shop.named(answer) == "hallucinated_identifier" and shop.named(answer, declared) is None
    for real in ("`BookStatus.LOANED`", "`services.borrow_book(book_id)`", "`repository.save`",
                 "`Book.status`", "`db.session.begin()`", "`BookStatus.LOANED.value`"):  # fmt: skip
        assert library.named(real) is None, real
    for invented in ("`BookStatus.LOST`", "`renew_book`", "`Book.due_date`"):
        assert library.named(invented) == "hallucinated_identifier"


def quoting_never_hallucinates(app: App) -> None:
    for chunk in app.index.chunks:
        assert app.named(f"```{chunk['language']}\n{chunk['text']}\n```") is None, chunk["text"]
    assert app.named(" ".join(f"`{s['qualname']}`" for s in app.index.symbols)) is None


POLYGLOT = {
    "tool/account.py": 'class Account:\n    """A ledger account; see overdraftLimit."""\n\n    def __init__(self, owner):\n'
    "        self.owner = owner  # who holds it\n        self.balance = 0\n\n"
    '    def half(self):\n        return f"{self.owner}", self.balance // 2\n',
    "web/cart.ts": "export interface Item { sku: string; qty: number }\n\nexport class Cart {\n  private items: Item[] = [];\n"
    "  add(item: Item): void { this.items.push(item); } // keeps order\n  label(): string { return `cart of ${this.items.length}`; }\n}\n",
    "svc/main.go": "package svc\n\n// Server serves.\ntype Server struct {\n\tPort int\n\tname string\n}\n\n"
    'func (s *Server) Addr() string { return s.name + ":" }\n',
    "lib/src/lib.rs": "/// Reads tokens.\n#[derive(Debug)]\npub struct Parser<'a> {\n    input: &'a str,\n}\n\n"
    "impl<'a> Parser<'a> {\n    pub fn first(&self) -> char { self.input.chars().next().unwrap_or('x') }\n}\n",
}


def test_quoting_any_language_never_hallucinates(shop, library, tmp_path):
    app = App(tmp_path / "poly", POLYGLOT)
    for each in (shop, library, app):
        quoting_never_hallucinates(each)
    real = "Account.balance Account.owner Cart.items Cart.add Item.sku Server.Port Server.Addr"
    for name in (real + " Parser.input Parser.first Debug").split():
        assert app.named(f"`{name}`") is None, name
    invented = "Account.overdraft overdraftLimit Server.Host Parser.peek keeps Reads"
    for name in invented.split():
        assert app.named(f"`{name}`") == "hallucinated_identifier", name


def test_what_is_not_an_identifier():
    answer = (
        "`POST /order/create`, `/order/pay/{id}`, `src/main/resources/mapper/OrderMapper.xml`, "
        "`Order.java`, `99`, `0x1F`, `\"product not found\"`, `'PAID'`, "
        "`SELECT * FROM orders WHERE id = #{id}`, `null`, `this`\n"
        '```sql\nUPDATE orders SET status = 1\n```\n```json\n{"madeUp": 1}\n```\n'
        "```java\n// a comment naming inventedThing\nreturn order; /* and madeUp */\n```"
    )
    assert named_identifiers(answer) == ["order"]
    assert named_identifiers("`OrderService.create(param)` and `A::b`") == [
        "OrderService", "create", "param", "A", "b"]  # fmt: skip
    # unbalanced backticks, as CommonMark reads them
    assert named_identifiers("``madeUp` and `real`") == []  # `` is literal; ` and ` a span
    assert named_identifiers("`real` then ``unclosed") == ["real"]
    assert named_identifiers("`` a `b` c `` then `d") == ["a", "b", "c"]
    assert named_identifiers("`open\n\nclosed` across a blank line") == []
    assert named_identifiers("```\nunclosed fence\n") == ["unclosed", "fence"]


LAYERS = dict(Controller="controller", Service="service", Impl="service", Mapper="mapper")


def layer_of(name: str) -> str | None:
    return next((v for k, v in LAYERS.items() if name.split(".")[0].endswith(k)), None)


def test_design_checks(shop):
    repo_calls = [("OrderController.pay", "OrderService.pay"), ("ProductController.get", "ProductService.get"),
                  ("OrderServiceImpl.pay", "OrderMapper.updateStatus")]  # fmt: skip
    allowed = observed_layer_calls(repo_calls, layer_of)
    assert allowed == {("controller", "service"), ("service", "mapper")}

    def design(existing, new, calls) -> Problem | None:
        return check_design(existing, new, calls, shop.known, layer_of, allowed)

    existing = ["OrderController", "OrderService", "OrderServiceImpl.pay", "OrderMapper"]
    new = ["RefundController", "RefundService", "RefundServiceImpl", "RefundMapper"]
    calls = [("RefundController.refund", "RefundService.refund"),
             ("RefundServiceImpl.refund", "OrderMapper.selectById"),
             ("RefundServiceImpl.refund", "RefundMapper.insert")]  # fmt: skip
    assert design(existing, new, calls) is None
    problem = design(existing, new, [*calls, ("RefundController.refund", "OrderMapper.insert")])
    assert reason(problem) == "layering_violation" and "controller -> mapper" in problem.detail
    for clash in (["OrderServiceImpl"], ["OrderService.list()"], ["Refund", "Refund"]):
        assert reason(design(existing, clash, [])) == "name_collision", clash
    assert design(["OrderRefundService", "OrderService.refund"], new, calls) == Problem(
        "unknown_component", "OrderRefundService, OrderService.refund")  # fmt: skip
    stray = [("RefundController.refund", "PaymentGateway.charge")]
    assert reason(design(existing, new, stray)) == "unknown_component"


HOSTILE = {
    "prose": "Paying sets `OrderStatus.PAID` on `orderMapper` [0123456789abcdef] ok. " * 15000,
    "backtick runs": "".join("`" * (i % 7 + 1) + "x " for i in range(250_000)),
    "open brackets": "[" * 1_000_000,
    "hex brackets": "[0123456789abcdef" * 60_000,
    "quotes in a span": "`" + '"' * 1_000_000 + "`",
    "open comment": "```\n" + "/* " * 300_000 + "\n```",
    "one long line": "- " + "a.b." * 250_000,
    "many lines": "x\n" * 500_000,
    "one long name": "`" + "a." * 500_000 + "`",
    "distinct names": " ".join(f"`made{i}.up{i}()`" for i in range(60_000)),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_huge_and_hostile_answers_take_linear_time(shop, name):
    answer = HOSTILE[name]
    started = time.perf_counter()
    check_citations(answer, [shop.entry("OrderServiceImpl.pay")])
    check_identifiers(answer, shop.known)
    citations(answer)
    # Linear takes about a second here; a quadratic scan would take many minutes. The
    # bound is loose so a loaded CI machine never fails it; speed itself is a benchmark's.
    assert time.perf_counter() - started < 30, f"{len(answer)} characters"
