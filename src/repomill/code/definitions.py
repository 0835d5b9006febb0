"""Find the definitions of a parsed file: functions, methods, classes, structs, traits…

Only scopes that hold definitions are walked (the module and container bodies), which is
far cheaper than visiting every node; definitions local to a function body stay part of
their function.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tree_sitter import Node

from repomill.code.languages.base import LanguageSpec


@dataclass
class Definition:
    name: str
    qualname: str
    kind: str
    node: Node  # the definition itself (for signature, body, docstring)
    start_byte: int  # the unit: wrapper, decorators and leading doc comments included
    end_byte: int
    parent: Definition | None = None
    children: list[Definition] = field(default_factory=list)
    body: Node | None = None  # member scope of a container, else None

    def signature(self) -> str:
        """The text from the definition's start up to its body, whitespace-trimmed."""
        node = self.node
        body = node.child_by_field_name("body")
        value = node.child_by_field_name("value")  # const f = (a) => { … }
        if body is None and value is not None:
            body = value.child_by_field_name("body")
        text = node.text or b""
        if body is not None and body.start_byte > node.start_byte:
            text = text[: body.start_byte - node.start_byte]
        else:
            first_line_end = text.find(b"\n")
            if first_line_end > 0 and len(text) > 200:
                text = text[:first_line_end]
        return text.decode("utf-8", errors="replace").strip().rstrip("{").rstrip()


def find_definitions(root: Node, spec: LanguageSpec) -> list[Definition]:
    """Top-level definitions, each with its nested member definitions as children."""
    return _scope(root, spec, None)


def _members(scope: Node, spec: LanguageSpec):
    for child in scope.named_children:
        if child.type in spec.transparent:
            yield from _members(child, spec)
        else:
            yield child


def _scope(scope: Node, spec: LanguageSpec, parent: Definition | None) -> list[Definition]:
    found: list[Definition] = []
    leading: list[Node] = []
    for member in _members(scope, spec):
        if member.type in spec.leading:
            if leading and member.start_point.row > leading[-1].end_point.row + 1:
                leading = []
            leading.append(member)
            continue
        units = _as_definitions(member, spec)
        attached = (
            leading if leading and member.start_point.row <= leading[-1].end_point.row + 1 else []
        )
        leading = []
        for range_node, def_node, kind in units:
            start = (
                attached[0].start_byte if attached and len(units) == 1 else range_node.start_byte
            )
            found.append(_make(def_node, kind, start, range_node.end_byte, spec, parent))
    return found


def _as_definitions(node: Node, spec: LanguageSpec) -> list[tuple[Node, Node, str]]:
    """(unit node, definition node, kind) for each definition `node` is or wraps."""
    if node.type in spec.wrappers:
        inner = [d for child in node.named_children for d in _as_definitions(child, spec)]
        if len(inner) == 1:
            return [(node, inner[0][1], inner[0][2])]
        return inner
    rule = spec.kinds.get(node.type)
    kind = rule(node) if callable(rule) else rule
    return [(node, node, kind)] if kind else []


def _make(
    node: Node, kind: str, start: int, end: int, spec: LanguageSpec, parent: Definition | None
) -> Definition:
    name = spec.name_of(node) or "<anonymous>"
    owner = spec.owner_of(node) if parent is None else None
    prefix = parent.qualname if parent is not None else owner
    if kind == "function" and (parent is not None and parent.kind != "module" or owner):
        kind = "method"
    definition = Definition(
        name=name,
        qualname=f"{prefix}.{name}" if prefix else name,
        kind=kind,
        node=node,
        start_byte=start,
        end_byte=end,
        parent=parent,
    )
    body_field = spec.containers.get(node.type)
    if body_field is None and node.type in ("variable_declarator", "public_field_definition"):
        value = node.child_by_field_name("value")  # const C = class { … }
        if value is not None and value.type in spec.containers:
            node, body_field = value, spec.containers[value.type]
    if body_field is not None:
        body = node.child_by_field_name(body_field)
        if body is not None:
            definition.body = body
            definition.children = _scope(body, spec, definition)
    return definition


def walk(definitions: list[Definition]):
    """All definitions, depth first, in source order."""
    for definition in definitions:
        yield definition
        yield from walk(definition.children)
