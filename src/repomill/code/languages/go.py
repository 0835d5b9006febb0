"""Go: functions, methods (qualified by receiver type), type specs; package imports."""

from __future__ import annotations

import tree_sitter_go
from tree_sitter import Node

from repomill.code.languages.base import LanguageSpec, RawImport, node_text, string_content, words
from repomill.code.languages.comments import leading_comment

_COMMENTS = frozenset({"comment"})


def _type_kind(node: Node) -> str:
    value = node.child_by_field_name("type")
    if value is not None and value.type == "struct_type":
        return "struct"
    if value is not None and value.type == "interface_type":
        return "interface"
    return "type"


def receiver_type(node: Node) -> str | None:
    """`func (s *Server) Run()` → "Server"."""
    receiver = node.child_by_field_name("receiver")
    if receiver is None:
        return None
    for identifier in _descendants(receiver, "type_identifier"):
        return node_text(identifier)
    return None


def _descendants(node: Node, kind: str):
    for child in node.named_children:
        if child.type == kind:
            yield child
        yield from _descendants(child, kind)


def _imports(node: Node) -> list[RawImport]:
    if node.type == "package_clause":
        name = node_text(node.named_children[0]) if node.named_child_count else ""
        return [RawImport(name, alias="package", line=node.start_point.row + 1)]
    result = []
    for spec in _descendants(node, "import_spec"):
        path = string_content(spec.child_by_field_name("path"))
        name = spec.child_by_field_name("name")
        alias = node_text(name) if name is not None else path.rsplit("/", 1)[-1]
        result.append(
            RawImport(path, alias=alias, wildcard=alias == ".", line=spec.start_point.row + 1)
        )
    return result


def _constants(root: Node) -> list[tuple[Node, str]]:
    """Top-level `const` and `var` specs (a spec of a group shows its own lines)."""
    found = []
    for declaration in root.named_children:
        if declaration.type not in ("const_declaration", "var_declaration"):
            continue
        specs = [c for c in declaration.named_children if c.type in ("const_spec", "var_spec")]
        for group in (c for c in declaration.named_children if c.type == "var_spec_list"):
            specs += [c for c in group.named_children if c.type == "var_spec"]
        for spec in specs:
            shown = declaration if len(specs) == 1 else spec
            found += [(shown, node_text(name)) for name in spec.children_by_field_name("name")]
    return found


def _returns(node: Node) -> str:
    """The type a function or method returns when it is one named type (`*Command`,
    `Options`); "" for none, several, slices, maps…"""
    result = node.child_by_field_name("result")
    if result is not None and result.type == "pointer_type":
        result = next((c for c in result.named_children if c.type == "type_identifier"), None)
    return node_text(result) if result is not None and result.type == "type_identifier" else ""


_USES_QUERY = """
(parameter_declaration name: (identifier) @bound)
(parameter_declaration name: (identifier) @typed_name
  type: [(type_identifier) @typed_type (pointer_type (type_identifier) @typed_type)])
(var_spec name: (identifier) @typed_name
  type: [(type_identifier) @typed_type (pointer_type (type_identifier) @typed_type)])
(short_var_declaration left: (expression_list . (identifier) @made_name .)
  right: (expression_list . (call_expression function: (selector_expression
    operand: (identifier) @made_object field: (field_identifier) @made_method)) .))
(short_var_declaration left: (expression_list (identifier) @typed_name)
  right: (expression_list [(composite_literal type: (type_identifier) @typed_type)
    (unary_expression operand: (composite_literal type: (type_identifier) @typed_type))]))
(variadic_parameter_declaration name: (identifier) @bound)
(short_var_declaration left: (expression_list (identifier) @bound))
(var_spec name: (identifier) @bound)
(const_spec name: (identifier) @bound)
(range_clause left: (expression_list (identifier) @bound))
(selector_expression operand: (_) @object field: (field_identifier) @member)
(qualified_type package: (package_identifier) @object name: (type_identifier) @member)
(field_identifier) @label
(interpreted_string_literal_content) @label
(raw_string_literal_content) @label
"""

GO = LanguageSpec(
    name="go",
    extensions=(".go",),
    grammar=tree_sitter_go.language,
    kinds={
        "function_declaration": "function",
        "method_declaration": "method",
        "type_spec": _type_kind,
        "type_alias": "type",
    },
    wrappers=frozenset({"type_declaration"}),
    leading=_COMMENTS,
    keywords=words(
        "break case chan const continue default defer else fallthrough for func go goto if "
        "import interface map package range return select struct switch type var true false "
        "nil iota string int int64 int32 uint uint64 byte rune bool error float64 make len "
        "append err ctx"
    ),
    import_query="(import_declaration) @import (package_clause) @import",
    extract_imports=_imports,
    uses_query=_USES_QUERY,
    unique_names=True,
    docstring_of=lambda node: leading_comment(node, _COMMENTS),
    owner_of=receiver_type,
    methods_apart=True,
    returns_of=_returns,
    constants_of=_constants,
)
