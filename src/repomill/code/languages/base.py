"""What the index needs to know about one language's tree-sitter grammar."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tree_sitter import Node

from repomill.code.resolve.base import RawImport

# Kinds whose full text is useful context when small (types rather than behaviour).
TYPE_KINDS = frozenset(
    {"class", "struct", "enum", "trait", "interface", "type", "union", "record", "annotation"}
)


@dataclass(frozen=True)
class LanguageSpec:
    name: str
    extensions: tuple[str, ...]
    grammar: Callable[[], object]  # returns the grammar's language capsule
    # node type -> kind, or a function deciding the kind (None: not a definition)
    kinds: dict[str, str | Callable[[Node], str | None]]
    # nodes that wrap definitions (decorators, `export`, `type (...)` groups, `const x = ...`)
    wrappers: frozenset[str] = frozenset()
    # nodes between a scope and its members that add no scope of their own
    transparent: frozenset[str] = frozenset()
    # definitions whose body holds member definitions; value: the body's field name
    containers: dict[str, str] = field(default_factory=dict)
    # sibling nodes that belong to the definition after them (doc comments, attributes)
    leading: frozenset[str] = frozenset()
    # words that look like identifiers but never name a definition
    keywords: frozenset[str] = frozenset()
    # a tree-sitter query whose @import captures are import statements
    import_query: str = ""
    extract_imports: Callable[[Node], list[RawImport]] = lambda node: []
    # A tree-sitter query of what code names without using anything outside it: @bound
    # (names it binds: parameters, assignment and loop targets…), @label (names that are
    # not references where they stand: keyword arguments, object keys, string text) and
    # @object / @member pairs (`obj.member`). Empty: every identifier is a reference.
    uses_query: str = ""
    # In `uses_query`, @path captures hold qualified paths (`a::b::C`), @macro ones the name
    # of an invoked macro, @self the type an `impl` is for, @self_member `m` of a
    # `self.m()` call, @typed_name / @typed_type a binding and the type written for it, and
    # @receiver / @method `x.m()`, read as the type's m where x has one written type,
    # @fixture a parameter the test runner fills by name (pytest's, from conftest.py),
    # @made_name / @made_object / @made_method `x = obj.m(…)` (x is what m returns);
    # paths_of(node) gives each path a node holds, as its segments and the nodes they
    # were read from (which are then no bare names).
    paths_of: Callable[[Node], list[tuple[tuple[str, ...], list[Node]]]] = lambda node: []
    # @tokens captures are macro arguments; reparse(node) gives sources that may read them
    # as code (the first that parses is read for uses; else their words count as written).
    reparse: Callable[[Node], list[bytes]] = lambda node: []
    # True where a name from another file may be used without an import (Java and Go: the
    # same package), so one defined in just one other file is taken to be that one. False
    # where only imports bring names in; then re-exports are followed.
    unique_names: bool = False
    # True where a later definition of a name replaces an earlier one in the same scope
    # (Python: `@overload` stubs before the implementation, redefinitions): the name means
    # the last one only.
    last_definition_wins: bool = False
    name_of: Callable[[Node], str | None] = lambda node: _field_text(node, "name")
    docstring_of: Callable[[Node], str] = lambda node: ""
    # the type a top-level definition belongs to (Go methods: their receiver type)
    owner_of: Callable[[Node], str | None] = lambda node: None
    # True where methods are top-level definitions apart from their type, in any file of
    # its package (Go: `func (c *Command) Run()`, qualified `Command.Run`).
    methods_apart: bool = False
    # True where a module bound whole (`const m = require("x")`) used as a value (`m()`)
    # is its default export (CommonJS `module.exports = f`).
    module_value_is_default: bool = False
    # Top-level named values (`X = …`, `const x = …`, `const X: T = …;`): (the statement
    # whose lines show it, its name) for each, given the tree's root. They are context
    # (CONSTANT symbols) but neither units nor chunks of their own.
    constants_of: Callable[[Node], list[tuple[Node, str]]] = lambda root: []
    # The class a function definition returns, as its code writes it ("" when unknown):
    # context follows a value made by a call to the members of that class.
    returns_of: Callable[[Node], str] = lambda node: ""


CONSTANT = "constant"  # the kind of a `constants_of` symbol


def words(text: str) -> frozenset[str]:
    """A keyword table written as whitespace-separated words."""
    return frozenset(text.split())


def node_text(node: Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", errors="replace")


def _field_text(node: Node, name: str) -> str | None:
    child = node.child_by_field_name(name)
    return node_text(child) if child is not None else None


def string_content(node: Node) -> str:
    """The text of a string literal without its quotes."""
    text = node_text(node)
    for quote in ('"""', "'''", '"', "'", "`"):
        if len(text) >= 2 * len(quote) and text.startswith(quote) and text.endswith(quote):
            return text[len(quote) : -len(quote)]
    return text
