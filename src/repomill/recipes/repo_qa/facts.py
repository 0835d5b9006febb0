"""The analysis as the questions need it: names and places of nodes, entry points in
words, paths inside a flow, transitive callers, and who writes which entity."""

from __future__ import annotations

import re
from collections import defaultdict, deque
from dataclasses import dataclass

from repomill.code.analysis.model import CallGraph, Flow, FlowStep, Node, Role, Rule, Statement

IMPACT_ROLES = ("data_access", "service")
MAX_CALLERS = 40  # an impact answer lists at most this many callers


@dataclass
class Facts:
    nodes: dict[str, Node]
    graph: CallGraph
    roles: dict[str, Role]
    statements: list[Statement]
    rules: list[Rule]
    flows: list[Flow]
    implementations: dict[str, list[str]]

    def __post_init__(self) -> None:
        self.statement = {s.id: s for s in self.statements}
        self._callers: dict[str, list[str]] = defaultdict(list)
        for edge in self.graph.edges:
            if edge.caller not in self._callers[edge.callee]:
                self._callers[edge.callee].append(edge.caller)

    def method_of(self, ref: str) -> str:
        """A statement's mapper method (when it has one); any other ref itself."""
        statement = self.statement.get(ref)
        return statement.method if statement is not None and statement.method else ref

    def statements_of(self, node: str) -> list[str]:
        return [s.id for s in self.statements if s.method == node]

    def meaningful_steps(self, flow: Flow) -> list[FlowStep]:
        """The flow less what tells nothing of the logic: accessors and constructors of
        entities and DTOs, and constructors of anything (an exception's, say). A step
        left out takes the calls below it with it."""
        kept: list[FlowStep] = []
        skip_below: int | None = None
        for step in flow.steps:
            if skip_below is not None and step.depth > skip_below:
                continue
            skip_below = None
            if self._trivial(step.node):
                skip_below = step.depth
                continue
            kept.append(step)
        return kept

    def _trivial(self, ref: str) -> bool:
        node = self.nodes.get(ref)
        if node is None:  # a statement
            return False
        role = self.roles.get(ref)
        constructor = node.kind == "class" or node.name == node.parent.rsplit(".", 1)[-1]
        return constructor or (role is not None and role.role == "entity")

    def label(self, ref: str) -> str:
        """`Class.method` (or `function`) of a node; a statement by its mapper method."""
        if ref in self.statement:
            statement = self.statement[ref]
            return f"{statement.namespace.rsplit('.', 1)[-1]}.{statement.statement_id}"
        return self.nodes[ref].qualname

    def place(self, ref: str) -> tuple[str, int, int]:
        if ref in self.statement:
            s = self.statement[ref]
            return s.path, s.start_line, s.end_line
        node = self.nodes[ref]
        return node.path, node.start_line, node.end_line

    def where(self, ref: str) -> str:
        path, start, end = self.place(ref)
        sql = f"SQL {self.statement[ref].kind.upper()}, " if ref in self.statement else ""
        return f" ({sql}{path}:{start}-{end})"

    def entry_label(self, node: str) -> str:
        role = self.roles.get(node)
        name = self.label(node)
        if role is not None and role.kind == "http" and role.route:
            return f"`{role.http_method} {role.route}` (`{name}`)"
        if role is not None and role.kind == "cli":
            command = self.nodes[node].name
            return f"the `{command}` command" + (f" (`{name}`)" if name != command else "")
        return f"`{name}`"

    def path_to(self, flow: Flow, target: str) -> list[FlowStep]:
        """The chain of steps from the flow's entry down to `target`'s first step."""
        chain: list[FlowStep] = []
        for step in flow.steps:
            del chain[step.depth :]
            chain.append(step)
            if step.node == target:
                return chain
        return chain

    def field_label(self, rule: Rule) -> str:
        """ "the `status` field (`OrderStatus`)": the values' type where they name one."""
        kind = rule.value.rsplit(".", 1)[0] if "." in rule.value else ""
        return f"the `{rule.field}` field" + (f" (`{kind}`)" if kind else "")

    def impact_subjects(self) -> list[str]:
        kinds = ("method", "function")
        return sorted(n for n, role in self.roles.items()
                      if role.role in IMPACT_ROLES and self.nodes[n].kind in kinds)  # fmt: skip

    def transitive_callers(self, node: str) -> tuple[list[str], list[str]]:
        """(callers, nearest first, at most MAX_CALLERS; the entry points among them)."""
        seen, queue, found = {node}, deque([node]), []
        while queue and len(found) < MAX_CALLERS:
            for caller in self._callers.get(queue.popleft(), ()):
                if caller not in seen:
                    seen.add(caller)
                    found.append(caller)
                    queue.append(caller)
        found = found[:MAX_CALLERS]
        return found, [n for n in found if self.is_entry(n)]

    def is_entry(self, node: str) -> bool:
        role = self.roles.get(node)
        return role is not None and role.role == "entry_point"

    def has_role(self, node: str, *roles: str) -> bool:
        role = self.roles.get(node)
        return role is not None and role.role in roles

    def writes(self) -> dict[tuple[str, str], list[str]]:
        """(what is written, insert|update|delete) -> the mapper methods that run it, then
        the methods that call those. What is written: "`Order`" when the mapper's name
        less Mapper/Dao is a class of the repository, else the SQL's table."""
        classes = {n.name for n in self.nodes.values() if n.kind == "class"}
        found: dict[tuple[str, str], list[str]] = defaultdict(list)
        for statement in self.statements:
            if statement.kind not in ("insert", "update", "delete") or not statement.method:
                continue
            mapper = statement.namespace.rsplit(".", 1)[-1]
            entity = mapper.removesuffix("Mapper").removesuffix("Dao")
            if entity in classes:
                entity = f"`{entity}`"
            elif table := _table(statement):
                entity = f"`{table}` table"
            else:
                continue
            writers = found[(entity, statement.kind)]
            for ref in [statement.method, *self._callers.get(statement.method, ())]:
                if ref not in writers:
                    writers.append(ref)
        return dict(found)


_TABLE = re.compile(r"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+`?([A-Za-z_][\w.]*)", re.I)


def _table(statement: Statement) -> str:
    found = _TABLE.search(statement.sql)
    return found.group(1) if found else ""
