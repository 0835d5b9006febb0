"""What Rust code binds and reads (see `LanguageSpec.uses_query`): names bound by patterns
(let, parameters, closures, match arms, for loops, if/while let), generics and items the
code defines are no references; field and method names after a dot are none either; paths
(`a::b::C`, `use` trees) are kept whole; a method called on a parameter or `let` whose
type is written (`dir: &Dir` … `dir.create()`) is that type's; macro arguments are read
again as code."""

from __future__ import annotations

from tree_sitter import Node

from repomill.code.languages.base import node_text

_LOWER = '"^[a-z_]"'  # a pattern's bare `None` or `Foo` is a constant or variant, not bound
_PATTERN_BINDINGS = [
    "(let_declaration pattern: (identifier) @bound)",
    "(parameter pattern: (identifier) @bound)",
    "(closure_parameters (identifier) @bound)",
    "(for_expression pattern: (identifier) @bound)",
    "(match_pattern (identifier) @bound)",
    "(let_condition pattern: (identifier) @bound)",
    "(tuple_pattern (identifier) @bound)",
    "(tuple_struct_pattern (identifier) @bound)",
    "(slice_pattern (identifier) @bound)",
    "(or_pattern (identifier) @bound)",
    "(ref_pattern (identifier) @bound)",
    "(mut_pattern (identifier) @bound)",
    "(reference_pattern (identifier) @bound)",
    "(captured_pattern . (identifier) @bound)",
    "(field_pattern pattern: (identifier) @bound)",
]
_ITEMS = ["function_item", "function_signature_item", "const_item", "static_item",
          "macro_definition", "mod_item"]  # fmt: skip
_TYPE_ITEMS = ["struct_item", "enum_item", "union_item", "trait_item", "type_item",
               "associated_type"]  # fmt: skip

USES_QUERY = "\n".join(
    [f"({pattern} (#match? @bound {_LOWER}))" for pattern in _PATTERN_BINDINGS]
    + [f"({item} name: (identifier) @bound)" for item in _ITEMS]
    + [f"({item} name: (type_identifier) @bound)" for item in _TYPE_ITEMS]
    + [
        "(field_pattern name: (shorthand_field_identifier) @bound)",
        "(type_parameter name: (type_identifier) @bound)",
        "(const_parameter name: (identifier) @bound)",
        "(enum_variant name: (identifier) @label)",
        "(field_identifier) @label",
        "(lifetime) @label",
        "(string_literal) @label",
        "(raw_string_literal) @label",
        "(char_literal) @label",
        "(extern_crate_declaration) @label",
        "(use_declaration) @label @path",
        "(scoped_identifier) @path",
        "(scoped_type_identifier) @path",
        "(macro_invocation) @macro",
        "(macro_invocation (token_tree) @tokens)",
        "(impl_item type: (_) @self)",
        "(call_expression function: (field_expression value: (self) field: (_) @self_member))",
        "(parameter pattern: (identifier) @typed_name type: (_) @typed_type)",
        "(let_declaration pattern: (identifier) @typed_name type: (_) @typed_type)",
        "(let_declaration pattern: (mut_pattern (identifier) @typed_name) type: (_) @typed_type)",
        "(call_expression function: (field_expression value: (identifier) @receiver"
        " field: (field_identifier) @method))",
    ]
)

_SCOPED = ("scoped_identifier", "scoped_type_identifier")
_LEAVES = ("identifier", "type_identifier", "crate", "self", "super", "metavariable")


def paths_of(node: Node) -> list[tuple[tuple[str, ...], list[Node]]]:
    """The paths a captured node holds: a `use` tree's, or the one a scoped identifier
    (or type, or a macro's name) starts, unless it is only the head of a longer one."""
    if node.type == "use_declaration":
        argument = node.child_by_field_name("argument")
        found = use_paths(argument, "") if argument is not None else []
        return [(tuple(path.split("::")), []) for path, _, glob in found if not glob
                and not path.endswith("::self")]  # fmt: skip
    if node.type == "macro_invocation":
        node = node.child_by_field_name("macro")
    elif node.type in _SCOPED and (_is_head(node) or _is_macro_name(node) or _in_use(node)):
        return []
    segments = _segments(node)
    if not segments:
        return []
    return [(tuple(node_text(n) for n in segments), segments)]


def _in_use(node: Node) -> bool:
    """Whether the node is part of a `use` tree (read whole from the declaration)."""
    parent = node.parent
    while parent is not None and parent.type in ("scoped_use_list", "use_list", "use_as_clause",
                                                 "use_wildcard"):  # fmt: skip
        parent = parent.parent
    return parent is not None and parent.type == "use_declaration"


def _is_macro_name(node: Node) -> bool:
    parent = node.parent
    return parent is not None and parent.type == "macro_invocation"


def _is_head(node: Node) -> bool:
    """Whether `node` is the leading part of a longer path (`a::b` of `a::b::c`)."""
    parent = node.parent
    while parent is not None and parent.type in ("generic_type", "generic_type_with_turbofish"):
        node, parent = parent, parent.parent
    return (parent is not None and parent.type in _SCOPED
            and parent.child_by_field_name("path") == node)  # fmt: skip


def _segments(node: Node | None) -> list[Node]:
    """The nodes of a path's segments, outermost first; empty if a segment is no name
    (`<[T]>::len`, `u8::MAX`)."""
    if node is None:
        return []
    if node.type in _LEAVES:
        return [node]
    if node.type in _SCOPED:
        name = node.child_by_field_name("name")
        path = node.child_by_field_name("path")
        head = _segments(path) if path is not None else []
        return head + [name] if name is not None and (head or path is None) else []
    if node.type in ("generic_type", "generic_type_with_turbofish"):
        return _segments(node.child_by_field_name("type"))
    if node.type == "bracketed_type":  # <T as Trait>::m is Trait's m
        inner = node.named_children[0] if node.named_child_count else None
        if inner is not None and inner.type == "qualified_type":
            return _segments(inner.child_by_field_name("alias"))
        return _segments(inner)
    if node.type in ("reference_type", "pointer_type"):
        return _segments(node.child_by_field_name("type"))
    if node.type in ("dynamic_type", "abstract_type"):  # `&dyn Sink`, `impl Matcher`
        return _segments(node.child_by_field_name("trait"))
    return []


def reparse(node: Node) -> list[bytes]:
    """Macro arguments as code: `m!(a, b)` as call arguments, `m![…]` as an array, `m!{…}`
    as a block."""
    text = node.text or b""
    if text.startswith(b"("):
        return [b"fn __m() { __m" + text + b"; }"]
    if text.startswith(b"["):
        return [b"fn __m() { " + text + b"; }"]
    if text.startswith(b"{"):
        return [b"fn __m() " + text]
    return []


def use_paths(node: Node, prefix: str) -> list[tuple[str, str | None, bool]]:
    """Flatten a use tree into (path, local alias, is_glob)."""
    kind = node.type
    if kind in ("identifier", "crate", "super", "self", "scoped_identifier", "metavariable"):
        return [(_join(prefix, node_text(node)), None, False)]
    if kind == "use_as_clause":
        path = node_text(node.child_by_field_name("path"))
        return [(_join(prefix, path), node_text(node.child_by_field_name("alias")), False)]
    if kind == "use_wildcard":
        inner = node.named_children[0] if node.named_child_count else None
        return [(_join(prefix, node_text(inner)), None, True)]
    if kind == "scoped_use_list":
        path = node.child_by_field_name("path")
        new_prefix = _join(prefix, node_text(path)) if path is not None else prefix
        return use_paths(node.child_by_field_name("list"), new_prefix)
    if kind == "use_list":
        return [item for child in node.named_children for item in use_paths(child, prefix)]
    return []


def _join(prefix: str, path: str) -> str:
    return f"{prefix}::{path}" if prefix and path else prefix or path
