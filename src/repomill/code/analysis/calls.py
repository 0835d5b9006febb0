"""The repository's call graph: each call site in a function or method body resolved to
the definition it calls, through imports, fields, parameters, locals, `this`/`self`,
static calls and (Java) an interface's implementations. What cannot be resolved is counted
by reason (see call_sites), never guessed."""

from __future__ import annotations

from repomill.code.analysis.call_sites import Sites, parse_files
from repomill.code.analysis.java_calls import add_java_calls
from repomill.code.analysis.java_types import JavaTypes
from repomill.code.analysis.js_calls import JS_LANGUAGES, add_js_calls
from repomill.code.analysis.model import CallGraph, Node, Read
from repomill.code.analysis.python_calls import add_python_calls
from repomill.code.repo_index import RepoIndex


def implementations_of(
    index: RepoIndex, nodes: dict[str, Node], read: Read
) -> dict[str, list[str]]:
    """Java interface (and abstract class) node ids -> the concrete classes implementing
    them, directly or through other types, from the `implements`/`extends` clauses."""
    return JavaTypes(index, parse_files(index, read, {"java"})).implementations()


def call_graph(
    index: RepoIndex,
    nodes: dict[str, Node],
    read: Read,
    implementations: dict[str, list[str]] | None = None,
) -> CallGraph:
    """The calls between `nodes` (as nodes_of gives them); `implementations` as
    implementations_of gives it (computed here when None)."""
    sites = Sites(nodes)
    files = parse_files(index, read, {"java", "python", *JS_LANGUAGES})
    java = [f for f in files if f.language == "java"]
    if java:
        types = JavaTypes(index, java)
        impls = types.implementations() if implementations is None else implementations
        add_java_calls(types, java, impls, sites)
    add_python_calls(index, [f for f in files if f.language == "python"], sites)
    add_js_calls(index, nodes, [f for f in files if f.language in JS_LANGUAGES], sites)
    return sites.graph()
