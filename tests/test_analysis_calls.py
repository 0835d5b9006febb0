"""The analysis's nodes, call graph and flows on the two fixture applications (and small
extra fixtures for what must stay unresolved), against edges written down by hand."""

import pytest

from repomill.code.analysis.calls import call_graph, implementations_of
from repomill.code.analysis.flows import trace_flows
from repomill.code.analysis.model import CallEdge, CallGraph
from repomill.code.analysis.nodes import nodes_of
from repomill.code.build import build_index
from repomill.code.settings import IndexConfig
from repomill.sources import open_source

from .conftest import make_repo
from .qa_apps import LIBRARY, LIBRARY_FLOW_DATA_ACCESS, SHOP, SHOP_FLOW_DATA_ACCESS

J = "src/main/java/com/app/"


def java(package, body, *imports):
    return f"package {package};\n\n" + "".join(f"import {i};\n" for i in imports) + body


GETTER = " {\n    public String get() { return null; }\n}\n"
# fmt: off
AMBIGUOUS_JAVA = {
    J + "a/Cache.java": java("com.app.a", "public class Cache" + GETTER),
    J + "b/Cache.java": java("com.app.b", "public class Cache" + GETTER),
    J + "Store.java": java("com.app", "public class Store" + GETTER),
    J + "Printer.java": java("com.app", "public class Printer {\n"
        "    public void print(String s) {}\n    public void print(Object o) {}\n"
        "    public void print(String s, int n) {}\n}\n"),
    J + "Dto.java": java("com.app", "@Data\npublic class Dto {\n    private String name;\n}\n",
                         "lombok.Data"),
    J + "Service.java": java("com.app", "public class Service {\n"
        "    private Cache cache;\n    private Printer printer;\n    private Dto dto;\n\n"
        "    public void run(List<String> names) {\n"
        '        cache.get();\n        printer.print("x");\n        printer.print("x", 2);\n'
        "        names.forEach(n -> n.get());\n        var other = make();\n"
        "        other.get();\n        printer.print(other);\n        missing();\n"
        "        dto.getName();\n    }\n\n"
        "    private Object make() { return null; }\n}\n",
        "com.app.a.Cache", "java.util.List"),
}
AMBIGUOUS_PYTHON = {
    "app/__init__.py": "",
    "app/a.py": "def get():\n    return 1\n",
    "app/b.py": "def get():\n    return 2\n\n\nclass Store:\n    def get(self):\n        return 3\n",
    "app/use.py": (
        "import requests\n\nfrom app import a\n\n\n"
        "class Repo:\n    def find(self):\n        return None\n\n\n"
        "class Service:\n    def __init__(self, repo: Repo):\n        self.repo = repo\n\n"
        "    def run(self, thing, other: Repo):\n"
        '        a.get()\n        thing.get()\n        requests.get("http://example.com")\n'
        "        undefined()\n        self.repo.find()\n        other.find()\n"
        "        self.helper()\n        local = Repo()\n        local.find()\n\n"
        "    def helper(self):\n        return len([])\n"
    ),
}
# fmt: on
SCRIPT = {
    "package.json": '{"name": "s"}\n',
    "src/util.ts": "export function fmt(x: string) {\n  return x;\n}\n",
    "src/app.ts": (
        'import { fmt } from "./util";\nimport * as u from "./util";\nimport _ from "lodash";\n\n'
        "function helper() {\n  return 1;\n}\n\n"
        'export function main() {\n  fmt("a");\n  u.fmt("b");\n  helper();\n  _.chunk([]);\n'
        "  console.log(1);\n}\n\n"
        "class K {\n  a() {\n    this.b();\n  }\n  b() {\n    return 2;\n  }\n}\n"
    ),
}


def analysed(tmp_path_factory, name, files):
    repo = make_repo(tmp_path_factory.mktemp(name), files)
    index = build_index(open_source(repo), IndexConfig(workers=1), None,
                        show_progress=False).index  # fmt: skip
    nodes = nodes_of(index)
    return index, nodes, call_graph(index, nodes, lambda path: files[path].encode())


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    return analysed(tmp_path_factory, "shop", SHOP)


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    return analysed(tmp_path_factory, "library", LIBRARY)


def qualname(ident):
    return ident.split("::")[1]


def calls_of(graph, caller):
    """(callee qualname, via) of each call `caller` (a qualname) makes, in order."""
    return [(qualname(e.callee), e.via) for e in graph.edges if qualname(e.caller) == caller]


def line_of(files, path, snippet):
    lines = files[path].splitlines()
    return next(i for i, line in enumerate(lines, 1) if snippet in line)


def by_qualname(nodes, name):
    (ident,) = [i for i, n in nodes.items() if n.qualname == name]
    return ident


def test_nodes_are_the_index_definitions(shop):
    index, nodes, _ = shop
    node = nodes[by_qualname(nodes, "OrderServiceImpl.create")]
    assert node.path == "src/main/java/com/shop/order/service/impl/OrderServiceImpl.java"
    assert (node.kind, node.language, node.parent) == ("method", "java", "OrderServiceImpl")
    assert node.chunk_id in {c["chunk_id"] for c in index.chunks}
    assert len(nodes) == len({(s["path"], s["qualname"]) for s in index.symbols})


def test_shop_calls_through_fields_and_implementations(shop):
    _, _, graph = shop
    assert calls_of(graph, "OrderController.create") == [
        ("OrderService.create", "field"),
        ("OrderServiceImpl.create", "implementation"),
    ]
    assert calls_of(graph, "ProductController.get") == [
        ("ProductService.get", "field"),
        ("ProductServiceImpl.get", "implementation"),
    ]
    # fmt: off
    assert calls_of(graph, "OrderServiceImpl.create") == [
        ("OrderParam.getQuantity", "parameter"), ("ApiException.ApiException", "new"),
        ("ProductMapper.selectById", "field"),  # the constructor-injected final field
        ("OrderParam.getProductId", "parameter"), ("ApiException.ApiException", "new"),
        ("Order", "new"),  # declares no constructor
        ("Order.setProductId", "local"), ("OrderParam.getProductId", "parameter"),
        ("Order.setQuantity", "local"), ("OrderParam.getQuantity", "parameter"),
        ("Order.setStatus", "local"),
        ("OrderMapper.insert", "field"),  # the @Autowired field
    ]
    # fmt: on
    # same-named methods of other classes are not reached
    assert calls_of(graph, "ProductServiceImpl.get") == [("ProductMapper.selectById", "field")]
    assert ("OrderMapper.selectById", "field") in calls_of(graph, "OrderServiceImpl.pay")
    assert ("ProductMapper.selectById", "field") not in calls_of(graph, "OrderServiceImpl.pay")
    assert (graph.calls, dict(graph.unresolved)) == (30, {})


def test_shop_edges_carry_the_call_site_line(shop):
    _, nodes, graph = shop
    path = "src/main/java/com/shop/order/service/impl/OrderServiceImpl.java"
    (insert,) = [e for e in graph.edges if e.callee == by_qualname(nodes, "OrderMapper.insert")]
    assert insert.line == line_of(SHOP, path, "orderMapper.insert(order)")
    assert graph.edges == sorted(graph.edges, key=lambda e: e.caller)


def test_shop_implementations(shop):
    index, nodes, _ = shop
    impls = implementations_of(index, nodes, lambda path: SHOP[path].encode())
    named = {qualname(k): [qualname(v) for v in vs] for k, vs in impls.items()}
    assert named == {"OrderService": ["OrderServiceImpl"], "ProductService": ["ProductServiceImpl"]}


def test_library_calls_through_modules_and_imports(library):
    _, _, graph = library
    assert calls_of(graph, "borrow") == [("borrow_book", "module_attribute")]
    assert calls_of(graph, "give_back") == [("return_book", "module_attribute")]
    assert calls_of(graph, "overdue") == [("overdue_titles", "import")]
    assert calls_of(graph, "borrow_book") == [
        ("get_book", "module_attribute"),
        ("NotFound", "new"),
        ("Conflict", "new"),
        ("save", "module_attribute"),
    ]
    assert calls_of(graph, "overdue_titles") == [("loaned_books", "module_attribute")]
    assert calls_of(graph, "get_book") == []  # db.session.get: SQLAlchemy's
    # db.session.get/add/query/filter/all/begin, jsonify ×2, click.echo
    assert (graph.calls, dict(graph.unresolved)) == (20, {"external": 9})


def test_java_never_guesses(tmp_path_factory):
    _, nodes, graph = analysed(tmp_path_factory, "ambiguous-java", AMBIGUOUS_JAVA)
    callees = {e.callee for e in graph.edges}
    assert calls_of(graph, "Service.run") == [
        ("Cache.get", "field"),
        ("Printer.print", "field"),  # print(String), by the argument's type
        ("Printer.print", "field"),  # the one print taking two arguments
        ("Service.make", "self"),
    ]
    assert J + "a/Cache.java::Cache.get" in callees
    assert J + "b/Cache.java::Cache.get" not in callees
    assert J + "Store.java::Store.get" not in callees
    printed = [e.line for e in graph.edges if qualname(e.callee) == "Printer.print"]
    service = J + "Service.java"
    assert printed == [line_of(AMBIGUOUS_JAVA, service, s) for s in ('print("x")', '"x", 2')]
    # print(other): two overloads fit; forEach: List's; n.get(), other.get(): untyped;
    # missing(): defined nowhere; dto.getName(): Lombok's
    assert (graph.calls, dict(graph.unresolved)) == (10, {"ambiguous": 1, "external": 1,
        "unknown_receiver": 2, "not_found": 1, "generated": 1})  # fmt: skip


def test_python_never_guesses(tmp_path_factory):
    _, _, graph = analysed(tmp_path_factory, "ambiguous-python", AMBIGUOUS_PYTHON)
    edges = [(qualname(e.callee), e.callee.split("::")[0], e.via)
             for e in graph.edges if qualname(e.caller) == "Service.run"]  # fmt: skip
    assert edges == [
        ("get", "app/a.py", "module_attribute"),
        ("Repo.find", "app/use.py", "field"),
        ("Repo.find", "app/use.py", "parameter"),
        ("Service.helper", "app/use.py", "self"),
        ("Repo", "app/use.py", "new"),
        ("Repo.find", "app/use.py", "local"),
    ]
    # thing.get(): untyped; requests.get and len: outside; undefined(): nowhere
    assert graph.calls == 10
    assert dict(graph.unresolved) == {"unknown_receiver": 1, "external": 2, "not_found": 1}


def test_script_calls(tmp_path_factory):
    _, _, graph = analysed(tmp_path_factory, "script", SCRIPT)
    assert [(e.callee, e.via) for e in graph.edges if qualname(e.caller) == "main"] == [
        ("src/util.ts::fmt", "import"),
        ("src/util.ts::fmt", "module_attribute"),
        ("src/app.ts::helper", "same_module"),
    ]
    assert calls_of(graph, "K.a") == [("K.b", "self")]
    assert dict(graph.unresolved) == {"external": 2}  # lodash's chunk, console.log


def mapper_or_repository(ident):
    path, name = ident.split("::")
    return name.partition(".")[0].endswith("Mapper") or path == "library/repository.py"


def shop_statements(ident):
    """A stand-in for the MyBatis statements a mapper method runs."""
    path, name = ident.split("::")
    if not name.partition(".")[0].endswith("Mapper"):
        return []
    namespace = path.removeprefix("src/main/java/").removesuffix(".java").replace("/", ".")
    xml = f"src/main/resources/mapper/{name.partition('.')[0]}.xml"
    return [f"{xml}::{namespace}.{name.partition('.')[2]}"]


@pytest.mark.parametrize("app", ["shop", "library"])
def test_flows_reach_the_data_access_of_the_truth(app, request):
    _, nodes, graph = request.getfixturevalue(app)
    truth = SHOP_FLOW_DATA_ACCESS if app == "shop" else LIBRARY_FLOW_DATA_ACCESS
    entries = [by_qualname(nodes, name) for name in truth]
    statements = shop_statements if app == "shop" else lambda ident: []
    flows = trace_flows(graph, entries, mapper_or_repository, statements)
    for name, flow in zip(truth, flows, strict=True):
        reached = {qualname(i) for i in flow.data_access if i in nodes}
        assert (name, reached, flow.cut) == (name, truth[name], "")
        assert len({s.node for s in flow.steps}) == len(flow.steps)


def test_a_flow_in_call_order_with_statements_below_their_mapper(shop):
    _, nodes, graph = shop
    (flow,) = trace_flows(graph, [by_qualname(nodes, "OrderController.create")],
                          mapper_or_repository, shop_statements)  # fmt: skip
    names = [(s.node.rpartition("::")[2], s.depth) for s in flow.steps]
    assert names[:5] == [
        ("OrderController.create", 0),
        ("OrderService.create", 1),
        ("OrderServiceImpl.create", 1),
        ("OrderParam.getQuantity", 2),
        ("ApiException.ApiException", 2),
    ]
    i = names.index(("ProductMapper.selectById", 2))
    assert names[i + 1] == ("com.shop.product.mapper.ProductMapper.selectById", 3)
    assert flow.steps[i + 1].line == 0
    assert [d.rpartition("::")[2] for d in flow.data_access] == [
        "ProductMapper.selectById",
        "com.shop.product.mapper.ProductMapper.selectById",
        "OrderMapper.insert",
        "com.shop.order.mapper.OrderMapper.insert",
    ]


def graph_of(*pairs):
    return CallGraph(edges=[CallEdge(a, b, line, "self") for line, (a, b) in enumerate(pairs, 1)])


def test_flows_cut_cycles_and_depth():
    cyclic = graph_of(("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"))
    (flow,) = trace_flows(cyclic, ["a"], lambda n: n == "d")
    assert [(s.node, s.depth) for s in flow.steps] == [("a", 0), ("b", 1), ("c", 2), ("d", 3)]
    assert (flow.data_access, flow.cut) == (("d",), "cycle")

    diamond = graph_of(("a", "b"), ("a", "c"), ("b", "d"), ("c", "d"))
    (flow,) = trace_flows(diamond, ["a"], lambda n: False)
    assert [s.node for s in flow.steps] == ["a", "b", "d", "c"]
    assert flow.cut == ""  # d reached twice is no cycle

    chain = graph_of(*[(f"n{i}", f"n{i + 1}") for i in range(10)])
    (flow,) = trace_flows(chain, ["n0"], lambda n: n == "n9", max_depth=3)
    assert [s.node for s in flow.steps] == ["n0", "n1", "n2", "n3"]
    assert (flow.data_access, flow.cut) == ((), "depth")
