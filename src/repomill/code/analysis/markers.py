"""Rules that mark a region rather than a branch: transactions (`@Transactional` on a
method or class, `with session.begin()`, `transaction.atomic`, `transactionTemplate`,
`sequelize.transaction`), locks and idempotency (`synchronized`, `@Lock`, `tryLock`,
`setIfAbsent`, `SELECT … FOR UPDATE`, names with "idempot"), and the constants that
guard and transition conditions mention (`static final` fields, enum constants,
UPPER_CASE assignments of a module (node `path::<module>`) or class)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from tree_sitter import Node

from repomill.code.analysis.model import Rule, Statement, node_id
from repomill.code.analysis.syntax import STRINGS, Sources, call_of, lines, marks_of, text, walk
from repomill.code.languages.base import words

TX_WITH = re.compile(r"\.begin(_nested)?\(|\btransaction\.atomic\b|^atomic\(")
TX_CALLS = frozenset({"transaction", "$transaction", "atomic"})
LOCK_CALLS = words(
    "tryLock lock lockInterruptibly setIfAbsent setnx getLock getFairLock acquire "
    "select_for_update with_for_update"
)
FOR_UPDATE = re.compile(r"\bfor\s+update\b", re.IGNORECASE)
LOCK_WITH = re.compile(r"(\b|_)lock\b|Lock\(", re.IGNORECASE)
MENTION = re.compile(r"\b(?:([A-Z]\w*)\.)?([A-Z][A-Z0-9_]+)\b")
UPPER = re.compile(r"^[A-Z][A-Z0-9_]*$")
MODULE = "<module>"


def function_markers(nid: str, symbol: dict, node: Node) -> list[Rule]:
    """Transactions and locks of one function: on its declaration, then in its body."""
    start, end = symbol["start_line"], symbol["end_line"]
    found = []
    for mark in marks_of(node):
        if mark.name == "Transactional" or mark.full in ("transaction.atomic", "atomic"):
            found.append(Rule("transaction", nid, start, end, effect=mark.text))
        elif mark.name.endswith("Lock"):
            found.append(Rule("lock", nid, start, end, effect=mark.text))
    modifiers = next((c for c in node.children if c.type == "modifiers"), None)
    if modifiers is not None and any(c.type == "synchronized" for c in modifiers.children):
        found.append(Rule("lock", nid, start, end, effect="synchronized"))
    if "idempot" in symbol["name"].lower():
        found.append(Rule("lock", nid, start, end, effect=f"name {symbol['name']}"))
    return found + list(_body_markers(nid, node))


def _body_markers(nid: str, function: Node) -> Iterator[Rule]:
    for node in walk(function):
        start, end = lines(node)
        if node.type == "with_statement":
            for item in (i for c in node.named_children for i in _with_items(c)):
                if kind := _with_kind(item):
                    yield Rule(kind, nid, start, end, effect=item)
        elif node.type == "synchronized_statement":
            lock = next(
                (c for c in node.named_children if c.type == "parenthesized_expression"), None
            )
            yield Rule("lock", nid, start, end, effect=f"synchronized {text(lock)}")
        elif node.type in STRINGS and FOR_UPDATE.search(text(node)):
            yield Rule("lock", nid, start, end, effect=text(node))
        elif (call := call_of(node)) is not None:
            yield from _call_marker(nid, call, start, end)


def _with_kind(item: str) -> str:
    """`with db.session.begin()` opens a transaction, `with lock` takes a lock."""
    if TX_WITH.search(item):
        return "transaction"
    return "lock" if LOCK_WITH.search(item) else ""


def _with_items(clause: Node) -> list[str]:
    if clause.type == "with_clause":
        return [text(i.child_by_field_name("value") or i) for i in clause.named_children]
    return []


def _call_marker(nid: str, call: Any, start: int, end: int) -> Iterator[Rule]:
    if call.name in TX_CALLS or call.target.lower().endswith("transactiontemplate"):
        yield Rule("transaction", nid, start, end, effect=f"{call.full}(…)")
    elif call.name in LOCK_CALLS and call.target or "idempot" in call.full.lower():
        yield Rule("lock", nid, start, end, effect=text(call.node))


def class_transactions(symbol: dict, node: Node, index: Any) -> list[Rule]:
    """A @Transactional class: each of its public methods without its own @Transactional."""
    mark = next((m for m in marks_of(node) if m.name == "Transactional"), None)
    if mark is None:
        return []
    return [
        Rule(
            "transaction",
            node_id(m["path"], m["qualname"]),
            m["start_line"],
            m["end_line"],
            effect=f"{mark.text} on {symbol['name']}",
        )
        for m in index.members_of(symbol["path"], symbol["qualname"])
        if m["kind"] == "method"
        and "@Transactional" not in m["signature"]
        and re.search(r"\bpublic\b", m["signature"])
        and m["name"] != symbol["name"]  # not the constructor
    ]


def statement_locks(statements: Sequence[Statement], index: Any) -> list[Rule]:
    """A mapper method whose XML statement selects FOR UPDATE, at the method's lines
    (an annotation's SQL is a string of the method: found with its body's)."""
    spans = {node_id(s["path"], s["qualname"]): s for s in index.symbols}
    return [
        Rule(
            "lock",
            s.method,
            spans[s.method]["start_line"],
            spans[s.method]["end_line"],
            effect=f"FOR UPDATE in {s.id}",
        )
        for s in statements
        if s.method in spans and s.path.endswith(".xml") and FOR_UPDATE.search(s.sql)
    ]


# --- constants ---------------------------------------------------------------------


def constants(rules: Sequence[Rule], index: Any, sources: Sources) -> list[Rule]:
    """The constant declarations that guard and transition conditions mention: `NAME`
    in the rule's own file (or the only one in the repository), `Type.NAME` in Type."""
    wanted = set()
    for rule in rules:
        if rule.kind in ("guard", "state_transition"):
            path = rule.node.split("::", 1)[0]
            wanted |= {(path, m[1] or "", m[2]) for m in MENTION.finditer(rule.condition)}
    if not wanted:
        return []
    declared = list(declarations(index, sources))
    found: dict[tuple[str, str], Rule] = {}
    for path, owner, name in sorted(wanted):
        hits = [d for d in declared if d[3] == name and (d[2] == owner if owner else d[0] == path)]
        if not owner and not hits:
            elsewhere = [d for d in declared if d[3] == name]
            hits = elsewhere if len(elsewhere) == 1 else []
        for d_path, qualname, _, _, value, decl in hits:
            key = node_id(d_path, qualname), f"{owner}.{name}" if owner else name
            start, end = lines(decl)
            found.setdefault(
                key, Rule("constant", key[0], start, end, "", text(decl), key[1], value)
            )
    return list(found.values())


Declaration = tuple[
    str, str, str, str, str, Node
]  # path, owner qualname, owner name, name, value, node


def declarations(index: Any, sources: Sources) -> Iterator[Declaration]:
    """Constant declarations of Java types and Python modules and classes."""
    for path, language in sorted(index.language.items()):
        tree = sources.tree(path) if language in ("java", "python") else None
        if tree is not None and language == "python":
            yield from _python_constants(path, MODULE, MODULE, tree.root_node)
    for symbol in index.symbols:
        if symbol["language"] not in ("java", "python") or symbol["kind"] not in (
            "class",
            "interface",
            "enum",
        ):
            continue
        node = sources.definition(symbol)
        body = node.child_by_field_name("body") if node is not None else None
        if body is None:
            continue
        owner = (symbol["path"], symbol["qualname"], symbol["name"])
        if symbol["language"] == "python":
            yield from _python_constants(*owner, body)
        else:
            yield from _java_constants(*owner, body, symbol["kind"] == "interface")


def _python_constants(path: str, qualname: str, name: str, body: Node) -> Iterator[Declaration]:
    for statement in body.named_children:
        assignment = statement.named_children[0] if statement.named_children else None
        if (
            statement.type == "expression_statement"
            and getattr(assignment, "type", "") == "assignment"
        ):
            left, right = (
                assignment.child_by_field_name("left"),
                assignment.child_by_field_name("right"),
            )
            if left is not None and right is not None and UPPER.match(text(left)):
                yield path, qualname, name, text(left), text(right), statement


def _java_constants(
    path: str, qualname: str, name: str, body: Node, interface: bool
) -> Iterator[Declaration]:
    for member in body.named_children:
        if member.type == "enum_constant":
            arguments = member.child_by_field_name("arguments")
            value = text(arguments)[1:-1] if arguments is not None else ""
            yield path, qualname, name, text(member.child_by_field_name("name")), value, member
        elif member.type in ("field_declaration", "constant_declaration"):
            modifiers = text(next((c for c in member.children if c.type == "modifiers"), None))
            if interface or ("static" in modifiers.split() and "final" in modifiers.split()):
                for declarator in member.children_by_field_name("declarator"):
                    value = text(declarator.child_by_field_name("value"))
                    declared = text(declarator.child_by_field_name("name"))
                    yield path, qualname, name, declared, value, member
        elif member.type == "enum_body_declarations":
            yield from _java_constants(path, qualname, name, member, interface)
