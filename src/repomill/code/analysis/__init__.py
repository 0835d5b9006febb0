"""The business-logic analysis of one commit, on top of the code index: definitions
(`nodes`), the call graph, interface implementations, roles, SQL statements, rules,
flows from entry points down to data access, and domains. `analyze` runs it all."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

from repomill.code.analysis.calls import call_graph, implementations_of
from repomill.code.analysis.domains import Domain, domain_map
from repomill.code.analysis.flows import trace_flows
from repomill.code.analysis.model import CallGraph, Flow, Node, Read, Role, Rule, Statement
from repomill.code.analysis.mybatis import mapper_statements
from repomill.code.analysis.nodes import nodes_of
from repomill.code.analysis.roles import assign_roles
from repomill.code.analysis.rules import find_rules
from repomill.code.repo_index import RepoIndex

CALLABLE = ("method", "function")


@dataclass
class Analysis:
    index: RepoIndex
    read: Read
    nodes: dict[str, Node]
    graph: CallGraph
    implementations: dict[str, list[str]]
    roles: dict[str, Role]
    statements: list[Statement]
    rules: list[Rule]
    flows: list[Flow]
    domains: list[Domain]
    skipped: Counter[str] = field(default_factory=Counter)  # files or statements left out

    def __post_init__(self) -> None:
        self._domain = {path: d.name for d in self.domains for path in d.files}

    def rename_domains(self, names: dict[str, str]) -> None:
        """Give domains new names (old -> new), e.g. a model's."""
        self.domains = sorted((replace(d, name=names.get(d.name, d.name)) for d in self.domains),
                              key=lambda d: d.name)  # fmt: skip
        self.__post_init__()

    def domain_of(self, ref: str) -> str:
        """The domain of a node's file (a statement's: its mapper method's), else its path."""
        node = self.nodes.get(ref)
        if node is None:
            method = next((s.method for s in self.statements if s.id == ref), "")
            node = self.nodes.get(method)
        path = node.path if node else ref.split("::", 1)[0]
        return self._domain.get(path, path)

    def summary(self) -> dict[str, Any]:
        entries = [n for n, r in self.roles.items() if r.role == "entry_point"]
        reaching = sum(1 for f in self.flows if f.data_access)
        calls = self.graph.calls
        resolved = calls - sum(self.graph.unresolved.values())
        roles = Counter(r.role for r in self.roles.values())
        return {
            "definitions": len(self.nodes), "call_sites": self.graph.calls,
            "calls_resolved": resolved, "call_edges": len(self.graph.edges),
            "unresolved_share": round(1 - resolved / calls, 3) if calls else 0.0,
            **{f"unresolved_{k}": v for k, v in sorted(self.graph.unresolved.items())},
            **{f"role_{k}": v for k, v in sorted(roles.items())},
            "entry_points": len(entries),
            "http_endpoints": sum(1 for n in entries if self.roles[n].kind == "http"),
            "flows": len(self.flows), "flows_reaching_data_access": reaching,
            "sql_statements": len(self.statements),
            **{f"rules_{k}": v for k, v in sorted(Counter(r.kind for r in self.rules).items())},
            "domains": len(self.domains),
        }  # fmt: skip

    def domain_json(self) -> dict[str, Any]:
        """The map for DIR/domains.json: domains, and calls between each pair."""
        links: Counter[tuple[str, str]] = Counter()
        for edge in self.graph.edges:
            a, b = self.domain_of(edge.caller), self.domain_of(edge.callee)
            if a != b and a in self._names and b in self._names:
                links[tuple(sorted((a, b)))] += 1
        return {"domains": [d.to_json() for d in self.domains],
                "links": [[a, b, n] for (a, b), n in sorted(links.items())]}  # fmt: skip

    @property
    def _names(self) -> set[str]:
        return {d.name for d in self.domains}


def analyze(index: RepoIndex, read: Read, paths: list[str], max_depth: int = 8) -> Analysis:
    """`paths`: every file of the commit (mapper XML files are read from among them)."""
    nodes = nodes_of(index)
    implementations = implementations_of(index, nodes, read)
    graph = call_graph(index, nodes, read, implementations)
    statements, skipped = mapper_statements(paths, read, index)
    roles = assign_roles(index, read, statements)
    rules = find_rules(index, read, statements)
    by_method: dict[str, list[str]] = {}
    for statement in statements:
        if statement.method:
            by_method.setdefault(statement.method, []).append(statement.id)
    entries = sorted(n for n, r in roles.items() if r.role == "entry_point"
                     and n in nodes and nodes[n].kind in CALLABLE)  # fmt: skip
    flows = trace_flows(graph, entries, lambda n: n in roles and roles[n].role == "data_access",
                        lambda n: by_method.get(n, []), max_depth)  # fmt: skip
    imports = {path: sorted({t for row in rows for t in row["resolved"]})
               for path, rows in index.resolved.items()}  # fmt: skip
    domains = domain_map(nodes, graph, roles, imports)
    return Analysis(index, read, nodes, graph, implementations, roles, statements, rules, flows,
                    domains, skipped)  # fmt: skip
