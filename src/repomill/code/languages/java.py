"""Java: classes, interfaces, enums, records, methods; package and import declarations."""

from __future__ import annotations

import tree_sitter_java
from tree_sitter import Node

from repomill.code.languages.base import LanguageSpec, RawImport, node_text, words
from repomill.code.languages.comments import leading_comment

_COMMENTS = frozenset({"line_comment", "block_comment"})


def _imports(node: Node) -> list[RawImport]:
    line = node.start_point.row + 1
    path_node = next(
        (c for c in node.named_children if c.type in ("scoped_identifier", "identifier")), None
    )
    path = node_text(path_node)
    if node.type == "package_declaration":
        return [RawImport(path, alias="package", line=line)]
    if any(c.type == "asterisk" for c in node.children):
        return [RawImport(path, wildcard=True, line=line)]
    is_static = any(c.type == "static" for c in node.children)
    module, _, name = path.rpartition(".")
    if is_static:  # import static a.b.C.m: the class file is a.b.C
        return [RawImport(module, names=((name, name),), line=line)]
    return [RawImport(path, names=((name, name),), line=line)]


_USES_QUERY = """
(formal_parameter name: (identifier) @bound)
(catch_formal_parameter name: (identifier) @bound)
(variable_declarator name: (identifier) @bound)
(enhanced_for_statement name: (identifier) @bound)
(lambda_expression parameters: (identifier) @bound)
(inferred_parameters (identifier) @bound)
(resource name: (identifier) @bound)
(type_parameter (type_identifier) @bound)
(method_invocation object: (_) @object name: (identifier) @member)
(field_access object: (_) @object field: (identifier) @member)
(string_fragment) @label
(multiline_string_fragment) @label
"""

JAVA = LanguageSpec(
    name="java",
    extensions=(".java",),
    grammar=tree_sitter_java.language,
    kinds={
        "class_declaration": "class",
        "interface_declaration": "interface",
        "enum_declaration": "enum",
        "record_declaration": "record",
        "annotation_type_declaration": "annotation",
        "method_declaration": "method",
        "constructor_declaration": "method",
    },
    transparent=frozenset({"enum_body_declarations"}),
    containers={
        "class_declaration": "body",
        "interface_declaration": "body",
        "enum_declaration": "body",
        "record_declaration": "body",
    },
    leading=_COMMENTS,
    keywords=words(
        "abstract assert boolean break byte case catch char class const continue default do "
        "double else enum extends final finally float for if implements import instanceof int "
        "interface long native new package private protected public return short static super "
        "switch synchronized this throw throws transient try void volatile while var record "
        "true false null String Object Override List Map Integer Long"
    ),
    import_query="(import_declaration) @import (package_declaration) @import",
    extract_imports=_imports,
    uses_query=_USES_QUERY,
    unique_names=True,
    docstring_of=lambda node: leading_comment(node, _COMMENTS),
)
