"""What the business-logic analysis finds, as plain frozen records: the definitions it talks
about (`Node`), calls between them (`CallEdge`, `CallGraph`), each definition's role
(`Role`), MyBatis-style SQL statements (`Statement`), rules (`Rule`: guards, state
transitions, transactions, locks, constants), flows from entry points down to data access
(`Flow`). Every record points at code by node id (and so by chunk id and lines): the
evidence a sample cites."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

Read = Callable[[str], bytes]  # a file of the analysed commit, by path


def node_id(path: str, qualname: str) -> str:
    return f"{path}::{qualname}"


@dataclass(frozen=True)
class Node:
    """A definition of the index (function, method, class…), by `path::qualname`."""

    id: str
    path: str
    qualname: str
    name: str
    kind: str
    language: str
    start_line: int
    end_line: int
    chunk_id: str  # the index chunk holding it: what evidence cites
    parent: str  # the enclosing definition's qualname, or ""


@dataclass(frozen=True)
class CallEdge:
    caller: str  # node id
    callee: str  # node id
    line: int  # of the call site, in the caller's file
    via: str  # how the callee was found: import, field, parameter, self, static, local…


@dataclass
class CallGraph:
    edges: list[CallEdge] = field(default_factory=list)
    calls: int = 0  # call sites seen
    unresolved: Counter[str] = field(default_factory=Counter)  # why a call found no callee

    def callees(self, node: str) -> list[CallEdge]:
        return [e for e in self.edges if e.caller == node]

    def callers(self, node: str) -> list[CallEdge]:
        return [e for e in self.edges if e.callee == node]


ROLES = ("entry_point", "service", "data_access", "entity", "config", "test")


@dataclass(frozen=True)
class Role:
    node: str
    role: str  # one of ROLES
    kind: str  # e.g. http, cli, scheduled, listener, mybatis_mapper, jpa_repository, orm
    rule: str  # which rule assigned it, e.g. "@PostMapping", "@bp.route", "name *Mapper"
    http_method: str = ""  # entry points over HTTP: GET, POST…
    route: str = ""  # and their path, class-level prefix included


@dataclass(frozen=True)
class Statement:
    """One SQL statement of a MyBatis mapper XML file."""

    id: str  # path::namespace.statement_id
    path: str
    namespace: str
    statement_id: str
    kind: str  # select | insert | update | delete
    start_line: int
    end_line: int
    sql: str
    method: str = ""  # node id of the mapper interface method it implements, if found


RULE_KINDS = ("guard", "state_transition", "transaction", "lock", "constant")


@dataclass(frozen=True)
class Rule:
    kind: str  # one of RULE_KINDS
    node: str  # the definition it is in
    line: int
    end_line: int
    condition: str = ""  # a guard's condition, or the condition a transition happens under
    effect: str = ""  # what happens: the throw / return / call, or the assignment
    field: str = ""  # a transition's status field, a constant's name
    value: str = ""  # the value set, or a constant's value


@dataclass(frozen=True)
class FlowStep:
    node: str  # node id (or a Statement id, for the SQL a mapper method runs)
    depth: int  # 0 for the entry point
    line: int  # the call site's line in the caller (0 for the entry point)


@dataclass(frozen=True)
class Flow:
    """The calls from one entry point, depth first in call-site order, cycles cut."""

    entry: str
    steps: tuple[FlowStep, ...]
    data_access: tuple[str, ...]  # node or statement ids of data access reached, in order
    cut: str = ""  # "" | "depth" (the bound was hit) | "cycle"
