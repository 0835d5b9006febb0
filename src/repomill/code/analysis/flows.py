"""Flows: the calls from each entry point, depth first in call-site order, down to data
access (and, for a mapper method, the SQL statements it runs), depth-bounded, cycles cut."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from repomill.code.analysis.model import CallEdge, CallGraph, Flow, FlowStep


@dataclass
class _Walk:
    """One flow being traced."""

    callees: dict[str, list[CallEdge]]
    is_data_access: Callable[[str], bool]
    statements_of: Callable[[str], list[str]]
    max_depth: int
    steps: list[FlowStep] = field(default_factory=list)
    data_access: list[str] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    path: list[str] = field(default_factory=list)  # the nodes from the entry to here
    cuts: set[str] = field(default_factory=set)

    def visit(self, node: str, depth: int, line: int) -> None:
        self.seen.add(node)
        self.steps.append(FlowStep(node, depth, line))
        if self.is_data_access(node):
            self.data_access.append(node)
            for statement in self.statements_of(node):
                self.steps.append(FlowStep(statement, depth + 1, 0))
                self.data_access.append(statement)
        self.path.append(node)
        for edge in self.callees.get(node, []):
            if edge.callee in self.path:
                self.cuts.add("cycle")  # a back edge: the callee is being traced
            elif edge.callee in self.seen:
                continue  # reached already, by another branch of this flow
            elif depth + 1 > self.max_depth:
                self.cuts.add("depth")
            else:
                self.visit(edge.callee, depth + 1, edge.line)
        self.path.pop()

    def flow(self, entry: str) -> Flow:
        cut = "depth" if "depth" in self.cuts else "cycle" if self.cuts else ""
        return Flow(entry, tuple(self.steps), tuple(self.data_access), cut)


def trace_flows(
    graph: CallGraph,
    entries: list[str],
    is_data_access: Callable[[str], bool],
    statements_of: Callable[[str], list[str]] = lambda node: [],
    max_depth: int = 8,
) -> list[Flow]:
    """One Flow per entry node, in the order given. Each node appears once per flow; its
    callees follow in call-site order (by line, then as the graph lists them). A data-access
    node's statements (`statements_of`) are steps one level below it, with line 0. `cut`
    is "depth" when the bound left calls out, else "cycle" when a back edge was skipped."""
    callees: dict[str, list[CallEdge]] = defaultdict(list)
    for edge in graph.edges:
        callees[edge.caller].append(edge)
    for edges in callees.values():
        edges.sort(key=lambda e: e.line)  # stable: same-line calls keep the graph's order
    flows = []
    for entry in entries:
        walk = _Walk(callees, is_data_access, statements_of, max_depth)
        walk.visit(entry, 0, 0)
        flows.append(walk.flow(entry))
    return flows
