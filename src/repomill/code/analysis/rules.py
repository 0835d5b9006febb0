"""Business rules inside functions and methods (Java, Python, JS/TS), each with exact lines:

- guard: an `if` whose body (or the statement itself) rejects — throws/raises, returns an
  error result (`return null/None/false`, `return CommonResult.failed(…)`, a 4xx tuple),
  calls a fail helper (`Asserts.fail`, `abort`). `condition` is the condition's source
  text, `effect` the rejecting statement. Assertion-style guards (`assert x`,
  `Assert.isTrue(x, …)`, `Preconditions.checkArgument(x)`) have `value="must_hold"`:
  their condition is what must hold, not what rejects.
- state_transition: `x.setStatus(OrderStatus.PAID)` (any `set…Status/State/Phase/Stage`)
  or `x.status = BookStatus.LOANED`, to a constant or literal; `field`, `value`, and the
  enclosing `if`'s condition (or "").
- transaction, lock, constant: see markers.py."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tree_sitter import Node

from repomill.code.analysis import markers
from repomill.code.analysis.model import Read, Rule, Statement, node_id
from repomill.code.analysis.roles import why_test_file
from repomill.code.analysis.syntax import Sources, call_of, lines, text, unparenthesised, walk
from repomill.code.languages.base import TYPE_KINDS, words


@dataclass(frozen=True)
class Grammar:
    ifs: frozenset[str]
    throws: frozenset[str]
    asserts: frozenset[str] = frozenset()
    assignments: frozenset[str] = frozenset({"assignment_expression"})


SCRIPT = Grammar(frozenset({"if_statement"}), frozenset({"throw_statement"}))
GRAMMARS = {
    "java": Grammar(
        frozenset({"if_statement"}), frozenset({"throw_statement"}), frozenset({"assert_statement"})
    ),
    "python": Grammar(
        frozenset({"if_statement", "elif_clause"}),
        frozenset({"raise_statement"}),
        frozenset({"assert_statement"}),
        frozenset({"assignment"}),
    ),
    "javascript": SCRIPT,
    "typescript": SCRIPT,
    "tsx": SCRIPT,
}
BLOCKS = frozenset({"block", "statement_block"})
FUNCTION_KINDS = frozenset({"function", "method", "constructor"})

# a returned value that signals rejection
REJECT_RETURN = re.compile(
    r"^(null|None|false|False)$"
    r"|\b(fail\w*|error\w*|badRequest|notFound|forbidden|unauthorized|unprocessable\w*"
    r"|conflict|reject\w*|abort)\s*\("
    r"|,\s*[45]\d\d\s*$|\bstatus\s*[(=]\s*[45]\d\d|HttpStatus\.(BAD_REQUEST|NOT_FOUND|FORBIDDEN"
    r"|UNAUTHORIZED|CONFLICT)|HTTP_4\d\d|[\"']error[\"']\s*:"
)
REJECT_CALL = re.compile(r"^(fail\w*|abort\w*|reject|throw\w+|raise\w*)$")
MUST_HOLD = words(
    "isTrue state notNull notEmpty hasText hasLength checkArgument checkState "
    "checkNotNull requireNonNull assertTrue"
)
SETTER = re.compile(r"^set(\w*?)(Status|State|Phase|Stage)$")
STATE_FIELD = re.compile(r"(status|state|phase|stage)$", re.IGNORECASE)
CONSTANT = re.compile(r"^(?:[\w$]+\.)*[A-Z][A-Z0-9_]*(?:\.\w+(?:\(\))?)*$")
LITERAL = re.compile(r"^(-?\d[\w.]*|\"[^\"]*\"|'[^']*'|true|false|True|False)$")


def find_rules(index: Any, read: Read, statements: Sequence[Statement] = ()) -> list[Rule]:
    """The rules of every function and method outside test files, then the constants
    their conditions mention and the locks of mapper statements (`FOR UPDATE`)."""
    sources = Sources(index, read)
    found: list[Rule] = []
    for symbol in index.symbols:
        grammar = GRAMMARS.get(symbol["language"])
        if grammar is None or why_test_file(symbol["path"]):
            continue
        node = sources.definition(symbol)
        if node is None:
            continue
        nid = node_id(symbol["path"], symbol["qualname"])
        if symbol["kind"] in FUNCTION_KINDS:
            found += function_rules(nid, node, grammar)
            found += markers.function_markers(nid, symbol, node)
        elif symbol["kind"] in TYPE_KINDS:
            found += markers.class_transactions(symbol, node, index)
    found += markers.constants(found, index, sources)
    found += markers.statement_locks(statements, index)
    return found


def function_rules(nid: str, function: Node, grammar: Grammar) -> list[Rule]:
    """Guards and state transitions in one function body, in source order."""
    found = []
    for node in walk(function):
        if node.type in grammar.ifs:
            found += _if_guard(nid, node, grammar)
        elif node.type in grammar.asserts:
            found.append(_assert_statement(nid, node))
        elif node.type == "expression_statement" and node.named_children:
            inner = node.named_children[0]
            found += _assert_call(nid, node, inner)
            found += _transition(nid, node, inner, grammar, function)
    return found


def _statements(body: Node | None) -> list[Node]:
    if body is None:
        return []
    return list(body.named_children) if body.type in BLOCKS else [body]


def rejects(statement: Node, grammar: Grammar) -> bool:
    """Whether a statement rejects: throws, returns an error result, calls a fail helper."""
    if statement.type in grammar.throws:
        return True
    if statement.type == "return_statement":
        value = statement.named_children
        return bool(value) and bool(REJECT_RETURN.search(text(value[0]).strip()))
    if statement.type == "expression_statement" and statement.named_children:
        call = call_of(statement.named_children[0])
        if call is None:
            return False
        failing = REJECT_CALL.match(call.name) and "log" not in call.target.lower()
        return bool(failing or re.search(r"\bstatus\(\s*[45]\d\d", text(statement)))
    return False


def _if_guard(nid: str, node: Node, grammar: Grammar) -> list[Rule]:
    body = node.child_by_field_name("consequence")
    effect = next((s for s in _statements(body) if rejects(s, grammar)), None)
    if effect is None:
        return []
    start, _ = lines(node)
    condition = unparenthesised(node.child_by_field_name("condition"))
    return [Rule("guard", nid, start, lines(body)[1], condition=condition, effect=text(effect))]


def _assert_statement(nid: str, node: Node) -> Rule:
    start, end = lines(node)
    condition = text(node.named_children[0]) if node.named_children else ""
    return Rule("guard", nid, start, end, condition=condition, effect=text(node), value="must_hold")


def _assert_call(nid: str, statement: Node, inner: Node) -> list[Rule]:
    call = call_of(inner)
    if call is None or call.name not in MUST_HOLD or not call.args:
        return []
    if not re.search(r"assert|precondition|objects|validate", call.full, re.IGNORECASE):
        return []
    start, end = lines(statement)
    condition, effect = text(call.args[0]), text(statement)
    return [Rule("guard", nid, start, end, condition=condition, effect=effect, value="must_hold")]


def _transition(
    nid: str, statement: Node, inner: Node, grammar: Grammar, function: Node
) -> list[Rule]:
    """`x.setStatus(CONSTANT)` or `x.status = CONSTANT` as a state transition."""
    if inner.type in grammar.assignments:
        target = text(inner.child_by_field_name("left"))
        field = target.rpartition(".")[2]
        value = text(inner.child_by_field_name("right"))
        if "." not in target or not STATE_FIELD.search(field):
            return []
    else:
        call = call_of(inner)
        match = SETTER.match(call.name) if call is not None else None
        if match is None or len(call.args) != 1:
            return []
        name = match.group(1) + match.group(2)
        field, value = name[0].lower() + name[1:], text(call.args[0])
    if not (CONSTANT.match(value) or LITERAL.match(value)):
        return []
    start, end = lines(statement)
    condition = _enclosing_condition(statement, function, grammar)
    effect = text(statement)
    return [Rule("state_transition", nid, start, end, condition, effect, field, value)]


def _enclosing_condition(node: Node, function: Node, grammar: Grammar) -> str:
    """The condition of the nearest `if` whose body holds `node`, within the function."""
    child, parent = node, node.parent
    while parent is not None and parent != function:
        if parent.type in grammar.ifs and child == parent.child_by_field_name("consequence"):
            return unparenthesised(parent.child_by_field_name("condition"))
        child, parent = parent, parent.parent
    return ""
