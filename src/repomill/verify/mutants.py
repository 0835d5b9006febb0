"""Broken implementations to run a response's tests against, and the names its code
defines. Tests that still pass when every function body throws, or when every function
returns a default, check nothing about the code; tests that define one of the code's names
again test their own copy. Both are found with tree-sitter, per language."""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from repomill.code.languages import parser
from repomill.code.languages.base import node_text

_FUNCTIONS = {
    "python": {"function_definition"},
    "javascript": {"function_declaration", "function_expression", "function", "arrow_function",
                   "method_definition", "generator_function_declaration"},
    "rust": {"function_item"},
    "java": {"method_declaration"},
}  # fmt: skip
_FUNCTIONS["typescript"] = _FUNCTIONS["javascript"]
_CLASSES = {"class_definition", "class_declaration", "struct_item", "enum_item",
            "interface_declaration", "record_declaration"}  # fmt: skip
_THROWS = {"python": "raise NotImplementedError('mutant')",
           "javascript": "{ throw new Error('mutant'); }",
           "rust": "{ panic!(\"mutant\") }",
           "java": "{ throw new RuntimeException(\"mutant\"); }"}  # fmt: skip
_THROWS["typescript"] = _THROWS["javascript"]
_JAVA_DEFAULTS = {
    "void": "",
    "boolean": "return false;",
    **{t: "return 0;" for t in ("int", "long", "short", "byte", "char", "float", "double")},
}
# A Rust default would rarely compile (no Default for most types): Rust gets the throwing
# mutant only.
MUTANTS = {"python": ("throws", "default"), "javascript": ("throws", "default"),
           "typescript": ("throws", "default"), "java": ("throws", "default"),
           "rust": ("throws",)}  # fmt: skip


def mutants(code: str, language: str) -> list[str]:
    """The code with every outermost function body replaced, once per mutant kind; none
    when the code defines no function."""
    source = code.encode("utf-8")
    bodies = [b for f in _outer_functions(_root(source, language), language)
              if (b := f.child_by_field_name("body")) is not None]  # fmt: skip
    if not bodies:
        return []
    out = []
    for kind in MUTANTS[language]:
        text = source
        for body in sorted(bodies, key=lambda b: b.start_byte, reverse=True):
            stub = _THROWS[language] if kind == "throws" else _default(body, language)
            text = text[: body.start_byte] + stub.encode("utf-8") + text[body.end_byte :]
        out.append(text.decode("utf-8"))
    return out


def defined_names(code: str, language: str, nested: bool = True) -> set[str]:
    """Names of the functions and types the code defines: at any depth, or (`nested`
    False) only those outside every function, which code elsewhere can reach."""
    names = set()
    kinds = _FUNCTIONS[language] | _CLASSES
    for node in _walk(_root(code.encode("utf-8"), language)):
        if not nested and _inside_function(node, language):
            continue
        if node.type in kinds and (name := node.child_by_field_name("name")) is not None:
            names.add(node_text(name))
        elif node.type == "variable_declarator":  # const f = () => …
            value = node.child_by_field_name("value")
            if value is not None and value.type in _FUNCTIONS[language]:
                names.add(node_text(node.child_by_field_name("name")))
    return names


def _inside_function(node: Node, language: str) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.type in _FUNCTIONS[language]:
            return True
        parent = parent.parent
    return False


def _default(body: Node, language: str) -> str:
    if language == "python":
        return "return None"
    if language == "java":
        kind = node_text(body.parent.child_by_field_name("type")) if body.parent else ""
        return "{ " + _JAVA_DEFAULTS.get(kind, "return null;") + " }"
    if body.type == "statement_block":
        return "{ return undefined; }"
    return "undefined"  # an arrow function's expression body


def _root(source: bytes, language: str) -> Node:
    return parser(language).parse(source).root_node


def _outer_functions(node: Node, language: str) -> Iterator[Node]:
    for child in node.children:
        if child.type in _FUNCTIONS[language]:
            yield child
        else:
            yield from _outer_functions(child, language)


def _walk(node: Node) -> Iterator[Node]:
    yield node
    for child in node.children:
        yield from _walk(child)
