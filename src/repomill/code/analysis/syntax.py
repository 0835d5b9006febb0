"""Tree-sitter helpers the analysis shares: each file parsed once (`Sources`), a symbol's
definition node, annotations and decorators as `Mark`s, calls as `Call`s, string
literals, and a walk of a body that stops at nested definitions."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tree_sitter import Node, Tree

from repomill.code.analysis.model import Read
from repomill.code.languages import parser
from repomill.code.languages.base import node_text, string_content

# Nested definitions a body walk does not enter: they are symbols of their own.
DEFINITIONS = frozenset(
    {
        "function_definition",  # python
        "class_definition",
        "method_declaration",  # java
        "constructor_declaration",
        "class_declaration",  # java, js/ts
        "interface_declaration",
        "enum_declaration",
        "record_declaration",
        "function_declaration",  # js/ts, go
        "method_definition",
        "function_item",  # rust
        "arrow_function",  # js/ts
        "function_expression",
    }
)
STRINGS = frozenset(
    {"string", "string_literal", "template_string", "interpreted_string_literal"}
    | {"raw_string_literal", "text_block"}
)
CALLS = frozenset({"call", "method_invocation", "call_expression"})
_IDENT = re.compile(r"[A-Za-z_$][\w$]*")


class Sources:
    """The files of one analysed commit, read and parsed at most once each."""

    def __init__(self, index: Any, read: Read):
        self.index, self.read = index, read
        self._trees: dict[str, Tree | None] = {}

    def tree(self, path: str) -> Tree | None:
        if path not in self._trees:
            language = self.index.language.get(path)
            try:
                self._trees[path] = parser(language).parse(self.read(path)) if language else None
            except (OSError, KeyError, ValueError):
                self._trees[path] = None
        return self._trees[path]

    def definition(self, symbol: dict[str, Any]) -> Node | None:
        tree = self.tree(symbol["path"])
        return definition_node(tree.root_node, symbol) if tree else None


def definition_node(root: Node, symbol: dict[str, Any]) -> Node | None:
    """The definition node of an index symbol: the innermost definition ending where the
    symbol ends (its span also covers decorators, attributes and doc comments)."""
    start, end = symbol["start_byte"], symbol["end_byte"]
    node = root.descendant_for_byte_range(max(end - 1, start), end)
    while node is not None and node.start_byte >= start:
        if node.end_byte == end and node.type in DEFINITIONS | _TYPES:
            return node
        if node.end_byte == end and node.type in _WRAPPERS:  # `const f = () => {…};`
            return _wrapped(node)
        node = node.parent
    return None


_TYPES = frozenset({"struct_item", "enum_item", "trait_item", "impl_item", "type_declaration"})
_WRAPPERS = frozenset({"lexical_declaration", "variable_declaration", "export_statement"})


def _wrapped(node: Node, depth: int = 3) -> Node | None:
    """The first definition inside a declaration that wraps it."""
    for child in node.named_children:
        if child.type in DEFINITIONS:
            return child
        if depth and (found := _wrapped(child, depth - 1)) is not None:
            return found
    return None


def text(node: Node | None) -> str:
    return node_text(node)


def unparenthesised(node: Node | None) -> str:
    """A condition's source text without the parentheses around the whole of it."""
    while node is not None and node.type == "parenthesized_expression" and node.named_children:
        inner = node.named_children
        if len(inner) != 1:
            break
        node = inner[0]
    return text(node)


def strings_in(node: Node | None) -> list[str]:
    """The contents of the string literals under `node`, in source order."""
    found, stack = [], [node] if node is not None else []
    while stack:
        current = stack.pop()
        if current.type in STRINGS:
            found.append(string_content(current))
        else:
            stack.extend(reversed(current.named_children))
    return found


def last_name(dotted: str) -> str:
    """`org.x.Foo<Bar>` -> `Foo`; `db.Model` -> `Model`."""
    names = _IDENT.findall(dotted.split("<", 1)[0].split("(", 1)[0])
    return names[-1] if names else ""


def walk(node: Node, stop: frozenset[str] = DEFINITIONS) -> Iterator[Node]:
    """`node` and its descendants in source order, not entering nested definitions
    (iterative: generated code nests deeper than Python's recursion limit)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed([c for c in current.children if c.type not in stop]))


@dataclass(frozen=True)
class Mark:
    """An annotation (`@GetMapping("/x")`), a decorator (`@bp.route("/x", methods=[…])`)
    or an attribute (`#[derive(Parser)]`): `name` its last identifier, `target` what
    precedes it (`bp`, `click`; "" for Java), `args` the positional argument nodes."""

    name: str
    target: str
    node: Node
    args: tuple[Node, ...] = ()
    kwargs: dict[str, Node] = field(default_factory=dict)

    @property
    def full(self) -> str:
        return f"{self.target}.{self.name}" if self.target else self.name

    @property
    def text(self) -> str:
        return text(self.node)

    def strings(self, key: str = "") -> list[str]:
        """String values of a keyword argument, or of the positional ones for ""."""
        if key:
            return strings_in(self.kwargs.get(key))
        return [s for arg in self.args for s in strings_in(arg)]


def marks_of(node: Node | None) -> list[Mark]:
    """The annotations, decorators or attributes written on a definition."""
    if node is None:
        return []
    if node.parent is not None and node.parent.type == "decorated_definition":
        return [_decorator(d) for d in node.parent.children if d.type == "decorator"]
    if node.type.endswith("_item"):  # rust: attribute items before the item
        return _attributes(node)
    modifiers = next((c for c in node.children if c.type == "modifiers"), None)
    kinds = ("annotation", "marker_annotation")
    return [_annotation(a) for a in (modifiers.children if modifiers else ()) if a.type in kinds]


def _annotation(node: Node) -> Mark:
    args, kwargs = [], {}
    arguments = node.child_by_field_name("arguments")
    for arg in arguments.named_children if arguments is not None else ():
        if arg.type == "element_value_pair":
            kwargs[text(arg.child_by_field_name("key"))] = arg.child_by_field_name("value")
        elif arg.type not in ("comment", "line_comment", "block_comment"):
            args.append(arg)
    name = last_name(text(node.child_by_field_name("name")))
    return Mark(name, "", node, tuple(args), kwargs)


def _decorator(node: Node) -> Mark:
    expression = node.named_children[0] if node.named_children else node
    callee, arguments = expression, None
    if expression.type == "call":
        callee, arguments = expression.child_by_field_name("function"), expression
    dotted = text(callee)
    target, _, name = dotted.rpartition(".")
    args, kwargs = _arguments(arguments)
    return Mark(name, target, node, args, kwargs)


def _attributes(node: Node) -> list[Mark]:
    marks, sibling = [], node.prev_named_sibling
    while sibling is not None and sibling.type in ("attribute_item", "line_comment"):
        if sibling.type == "attribute_item":
            inner = text(sibling).strip("#[] \n")
            marks.append(Mark(last_name(inner), "", sibling))
        sibling = sibling.prev_named_sibling
    return marks[::-1]


@dataclass(frozen=True)
class Call:
    node: Node
    target: str  # the receiver's text ("db.session", "orderMapper", "" for a bare call)
    name: str  # the called name
    args: tuple[Node, ...]
    kwargs: dict[str, Node]

    @property
    def full(self) -> str:
        return f"{self.target}.{self.name}" if self.target else self.name


def call_of(node: Node) -> Call | None:
    """A call node of Java, Python, JS/TS or Go as a `Call`, else None."""
    if node.type == "method_invocation":
        target, name = (
            text(node.child_by_field_name("object")),
            text(node.child_by_field_name("name")),
        )
    elif node.type in ("call", "call_expression"):
        callee = node.child_by_field_name("function")
        if callee is None:
            return None
        if callee.type in ("attribute", "member_expression", "selector_expression"):
            target = text(callee.named_children[0]) if callee.named_children else ""
            name = text(callee.named_children[-1]) if callee.named_children else ""
        else:
            target, name = "", text(callee)
    else:
        return None
    args, kwargs = _arguments(node)
    return Call(node, target, name, args, kwargs)


def _arguments(call: Node | None) -> tuple[tuple[Node, ...], dict[str, Node]]:
    arguments = call.child_by_field_name("arguments") if call is not None else None
    args, kwargs = [], {}
    for arg in arguments.named_children if arguments is not None else ():
        if arg.type == "keyword_argument":
            kwargs[text(arg.child_by_field_name("name"))] = arg.child_by_field_name("value")
        elif arg.type != "comment":
            args.append(arg)
    return tuple(args), kwargs


def calls_in(node: Node) -> Iterator[Call]:
    """The calls in a body, nested definitions left out."""
    for child in walk(node):
        if child.type in CALLS and (call := call_of(child)) is not None:
            yield call


def lines(node: Node) -> tuple[int, int]:
    return node.start_point[0] + 1, node.end_point[0] + 1
