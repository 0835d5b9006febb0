"""JavaScript, TypeScript and TSX: declarations, classes, `const f = () => …`, ES imports,
re-exports and require()."""

from __future__ import annotations

from dataclasses import replace

import tree_sitter_javascript
import tree_sitter_typescript
from tree_sitter import Node

from repomill.code.languages.base import LanguageSpec, RawImport, node_text, string_content, words
from repomill.code.languages.comments import leading_comment
from repomill.code.resolve.base import EXPORT

_FUNCTION_VALUES = frozenset(
    {"arrow_function", "function_expression", "function", "generator_function"}
)
_CLASS_VALUES = frozenset({"class", "class_expression"})
_COMMENTS = frozenset({"comment"})


def _value_kind(node: Node) -> str | None:
    """`const f = () => …` is a function, `const C = class …` a class; other values are not
    definitions."""
    value = node.child_by_field_name("value")
    if value is None:
        return None
    if value.type in _FUNCTION_VALUES:
        return "function"
    if value.type in _CLASS_VALUES:
        return "class"
    return None


def _constants(root: Node) -> list[tuple[Node, str]]:
    """Top-level `const`/`let`/`var` declarators of values that are no function or class
    (`const ky = createInstance()`), exported or not."""
    found = []
    for statement in root.named_children:
        declaration = statement
        if statement.type == "export_statement":
            declaration = statement.child_by_field_name("declaration") or statement
        if declaration.type not in ("lexical_declaration", "variable_declaration"):
            continue
        for declarator in declaration.named_children:
            name = declarator.child_by_field_name("name")
            if (declarator.type == "variable_declarator" and name is not None
                    and name.type == "identifier" and _value_kind(declarator) is None
                    and not _is_require(declarator.child_by_field_name("value"))):  # fmt: skip
                found.append((statement, node_text(name)))
    return found


def _is_require(value: Node | None) -> bool:
    """`require("x")` (an import, whose binding is no value of this file)."""
    while value is not None and value.type in ("await_expression", "member_expression"):
        value = value.named_children[0] if value.named_children else None
    if value is None or value.type != "call_expression":
        return False
    return node_text(value.child_by_field_name("function")) in ("require", "import")


def _field_kind(node: Node) -> str | None:
    return "method" if _value_kind(node) == "function" else None


def _exports_member(node: Node | None) -> Node | None:
    """The property of `exports.x` / `module.exports.x` (CommonJS), else None."""
    if node is None or node.type != "member_expression":
        return None
    target = node.child_by_field_name("object")
    if target is None or node_text(target) not in ("exports", "module.exports"):
        return None
    return node.child_by_field_name("property")


def _assigned_kind(node: Node) -> str | None:
    """`exports.f = function…` / `module.exports.C = class…` (top level): CommonJS's named
    exports, definitions of the file like `export function f`."""
    if _exports_member(node.child_by_field_name("left")) is None:
        return None
    right = node.child_by_field_name("right")
    if right is not None and right.type in _FUNCTION_VALUES:
        return "function"
    if right is not None and right.type in _CLASS_VALUES:
        return "class"
    return None


def _imports(node: Node) -> list[RawImport]:
    line = node.start_point.row + 1
    if node.type == "call_expression":  # require("x") / import("x")
        arguments = node.child_by_field_name("arguments")
        strings = [c for c in arguments.named_children if c.type == "string"] if arguments else []
        return [_required(node, string_content(strings[0]), line)] if strings else []
    if node.type == "default":  # the keyword of `export default …`
        return _default_export(node.parent, line)
    if node.type == "assignment_expression":  # CommonJS exports
        return _commonjs_export(node, line)
    if node.type == "export_clause":  # `export {a as b}`, no source
        renamed = tuple((new, own) for new, own in _specifiers(node, "export_specifier")
                        if new != own)  # fmt: skip
        return [RawImport("", names=renamed, alias=EXPORT, line=line)] if renamed else []
    source = node.child_by_field_name("source")
    if source is None:
        return []
    result = RawImport(string_content(source), line=line)
    names: list[tuple[str, str]] = []
    for child in node.named_children:
        if child.type == "import_clause":
            for part in child.named_children:
                if part.type == "identifier":  # default import
                    names.append((node_text(part), "default"))
                elif part.type == "namespace_import":
                    result = replace(result, alias=node_text(part.named_children[0]))
                elif part.type == "named_imports":
                    names.extend(_specifiers(part, "import_specifier"))
        elif child.type == "export_clause":
            names.extend(_specifiers(child, "export_specifier"))
        elif child.type == "namespace_export":  # export * as ns from "x"
            result = replace(result, alias=node_text(child.named_children[0]))
        elif node_text(child) == "*":
            result = replace(result, wildcard=True)
    if node.type == "export_statement" and not names and result.alias is None:
        result = replace(result, wildcard=True)  # export * from "x"
    return [replace(result, names=tuple(names))]


def _commonjs_export(node: Node, line: int) -> list[RawImport]:
    """What an assignment to `module.exports` exports: `= f` is the default export, `= {a,
    b: c}` names own definitions (c as b); `exports.b = c` (c a name) names c as b. A name
    exported as itself is a definition of the file already."""
    value = node.child_by_field_name("right")
    while value is not None and value.type == "assignment_expression":
        value = value.child_by_field_name("right")  # exports = module.exports = f
    if value is None:
        return []
    member = _exports_member(node.child_by_field_name("left"))
    if member is not None:  # exports.b = c
        names = [(node_text(member), node_text(value))] if value.type == "identifier" else []
    elif value.type == "identifier":
        names = [("default", node_text(value))]
    elif value.type == "object":
        names = _object_names(value)
    else:
        names = []
    renamed = tuple((new, own) for new, own in names if new != own)
    return [RawImport("", names=renamed, alias=EXPORT, line=line)] if renamed else []


def _object_names(value: Node) -> list[tuple[str, str]]:
    """(key, name) of an object literal's `name` and `key: name` properties."""
    names = []
    for part in value.named_children:
        if part.type == "shorthand_property_identifier":
            names.append((node_text(part), node_text(part)))
        elif part.type == "pair":
            key, own = part.child_by_field_name("key"), part.child_by_field_name("value")
            if key is not None and own is not None and own.type == "identifier" and (
                    key.type == "property_identifier"):  # fmt: skip
                names.append((node_text(key), node_text(own)))
    return names


def _required(call: Node, module: str, line: int) -> RawImport:
    """`require("x")`, with what `const m = require("x")` / `const {a, b: c} = …` binds."""
    declarator = call.parent
    if declarator is None or declarator.type != "variable_declarator":
        return RawImport(module, line=line)
    bound = declarator.child_by_field_name("name")
    if bound is not None and bound.type == "identifier":
        return RawImport(module, alias=node_text(bound), line=line)
    names = []
    for part in bound.named_children if bound is not None else []:
        if part.type == "shorthand_property_identifier_pattern":
            names.append((node_text(part), node_text(part)))
        elif part.type == "pair_pattern":
            key, value = part.child_by_field_name("key"), part.child_by_field_name("value")
            if value is not None and value.type == "identifier":
                names.append((node_text(value), node_text(key)))
    return RawImport(module, names=tuple(names), line=line)


def _default_export(statement: Node, line: int) -> list[RawImport]:
    """`export default function f…` / `class C…` / `f;`: the file's `default` is f."""
    named = statement.child_by_field_name("declaration")
    named = named.child_by_field_name("name") if named is not None else None
    value = statement.child_by_field_name("value")
    if named is None and value is not None and value.type == "identifier":
        named = value
    if named is None:
        return []  # an anonymous function or class, an object…: nothing in the index
    return [RawImport("", names=(("default", node_text(named)),), alias=EXPORT, line=line)]


def _specifiers(node: Node, kind: str) -> list[tuple[str, str]]:
    pairs = []
    for spec in node.named_children:
        if spec.type != kind:
            continue
        original = node_text(spec.child_by_field_name("name"))
        alias = spec.child_by_field_name("alias")
        pairs.append((node_text(alias) if alias is not None else original, original))
    return pairs


# `export default` and local export clauses are captured by their small parts: a
# capture's text is stored as the statement, and the rest is a whole definition.
_IMPORT_QUERY = """
(import_statement) @import
(export_statement source: (_)) @import
(export_statement "default" @import)
(export_statement !source (export_clause) @import)
((call_expression function: (identifier) @_fn arguments: (arguments (string))) @import
  (#eq? @_fn "require"))
((call_expression function: (import) arguments: (arguments (string))) @import)
((assignment_expression left: (member_expression) @_left) @import
  (#eq? @_left "module.exports"))
((assignment_expression left: (member_expression object: (_) @_object)) @import
  (#match? @_object "^(module\\.)?exports$"))
"""

_USES_QUERY = """
(variable_declarator name: (identifier) @bound)
(array_pattern (identifier) @bound)
(object_pattern (shorthand_property_identifier_pattern) @bound)
(pair_pattern value: (identifier) @bound)
(rest_pattern (identifier) @bound)
(assignment_pattern left: (identifier) @bound)
(catch_clause parameter: (identifier) @bound)
(for_in_statement left: (identifier) @bound)
(arrow_function parameter: (identifier) @bound)
(function_declaration name: (identifier) @bound)
(class_declaration name: (_) @bound)
(member_expression object: (_) @object property: (property_identifier) @member)
(property_identifier) @label
(string_fragment) @label
"""
_JS_USES_QUERY = _USES_QUERY + "(formal_parameters (identifier) @bound)\n"
_TS_USES_QUERY = (
    _USES_QUERY
    + """
(required_parameter pattern: (identifier) @bound)
(optional_parameter pattern: (identifier) @bound)
(type_parameter name: (type_identifier) @bound)
(nested_type_identifier module: (_) @object name: (type_identifier) @member)
"""
)

_KINDS = {
    "function_declaration": "function",
    "generator_function_declaration": "function",
    "class_declaration": "class",
    "abstract_class_declaration": "class",
    "method_definition": "method",
    "interface_declaration": "interface",
    "type_alias_declaration": "type",
    "enum_declaration": "enum",
    "internal_module": "module",
    "variable_declarator": _value_kind,
    "assignment_expression": _assigned_kind,
    "public_field_definition": _field_kind,
    "field_definition": _field_kind,
}
_KEYWORDS = words(
    "abstract any as async await boolean break case catch class const constructor "
    "continue debugger declare default delete do else enum export extends false finally "
    "for from function get if implements import in instanceof interface keyof let new "
    "null number of private protected public readonly return set static string super "
    "switch this throw true try type typeof undefined var void while with yield console "
    "require module exports Promise Array Object"
)
_CONTAINERS = {
    "class_declaration": "body",
    "abstract_class_declaration": "body",
    "internal_module": "body",
    "class": "body",
}


def _name(node: Node) -> str | None:
    if node.type == "assignment_expression":  # exports.f = …
        name = _exports_member(node.child_by_field_name("left"))
    else:
        name = node.child_by_field_name("name") or node.child_by_field_name("property")
    return node_text(name) if name is not None else None


def _spec(name: str, extensions: tuple[str, ...], grammar, uses_query: str) -> LanguageSpec:
    return LanguageSpec(
        name=name,
        extensions=extensions,
        grammar=grammar,
        kinds=_KINDS,
        wrappers=frozenset({"export_statement", "lexical_declaration", "variable_declaration"}),
        transparent=frozenset({"expression_statement"}),
        containers=_CONTAINERS,
        leading=_COMMENTS,
        keywords=_KEYWORDS,
        import_query=_IMPORT_QUERY,
        extract_imports=_imports,
        uses_query=uses_query,
        name_of=_name,
        module_value_is_default=True,
        docstring_of=lambda node: leading_comment(node, _COMMENTS),
        constants_of=_constants,
    )


TYPESCRIPT = _spec("typescript", (".ts", ".mts", ".cts"),
                   tree_sitter_typescript.language_typescript, _TS_USES_QUERY)  # fmt: skip
TSX = _spec("tsx", (".tsx",), tree_sitter_typescript.language_tsx, _TS_USES_QUERY)
JAVASCRIPT = _spec("javascript", (".js", ".jsx", ".mjs", ".cjs"),
                   tree_sitter_javascript.language, _JS_USES_QUERY)  # fmt: skip
