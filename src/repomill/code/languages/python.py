"""Python: functions, classes, decorators, docstrings, absolute and relative imports."""

from __future__ import annotations

import tree_sitter_python
from tree_sitter import Node

from repomill.code.languages.base import LanguageSpec, RawImport, node_text, string_content, words


def _docstring(node: Node) -> str:
    body = node.child_by_field_name("body")
    if body is None or body.named_child_count == 0:
        return ""
    first = body.named_children[0]
    if first.type == "expression_statement" and first.named_child_count == 1:
        inner = first.named_children[0]
        if inner.type == "string":
            return string_content(inner).strip()
    return ""


def _returns(node: Node) -> str:
    """The class a function returns, as written: its return annotation (`-> Result`,
    `-> "Result"`, `-> Result | None`), else the one class every `return X(…)` of its body
    constructs; "" when neither says."""
    if node.type != "function_definition":
        return ""
    annotation = node.child_by_field_name("return_type")
    if annotation is not None:
        return _annotated(annotation.named_children[0] if annotation.named_children else None)
    made: set[str] = set()
    stack = [node.child_by_field_name("body")]
    while stack:
        current = stack.pop()
        if current is None or current.type in ("function_definition", "class_definition"):
            continue  # a nested function's returns are its own
        if current.type == "return_statement":
            value = current.named_children[0] if current.named_children else None
            callee = value.child_by_field_name("function") if value is not None and \
                value.type == "call" else None  # fmt: skip
            if callee is None or callee.type != "identifier":
                return ""
            made.add(node_text(callee))
            continue
        stack.extend(current.named_children)
    return made.pop() if len(made) == 1 else ""


def _annotated(node: Node | None) -> str:
    if node is None:
        return ""
    if node.type == "identifier":
        return node_text(node)
    if node.type == "string":
        text = string_content(node).strip()
        return text if text.isidentifier() else ""
    if node.type == "binary_operator":  # X | None
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if right is not None and node_text(right) == "None":
            return _annotated(left)
    return ""


def _dotted(node: Node) -> tuple[str, str]:
    """(module name, local name) of a dotted_name or aliased_import."""
    if node.type == "aliased_import":
        name = node_text(node.child_by_field_name("name"))
        return name, node_text(node.child_by_field_name("alias"))
    name = node_text(node)
    return name, name.split(".")[0]


def _imports(node: Node) -> list[RawImport]:
    line = node.start_point.row + 1
    if node.type == "import_statement":
        result = []
        for child in node.children_by_field_name("name"):
            module, local = _dotted(child)
            aliased = child.type == "aliased_import"
            result.append(RawImport(module, alias=local if aliased else None, line=line))
        return result
    # import_from_statement
    module_node = node.child_by_field_name("module_name")
    level = 0
    module = node_text(module_node)
    if module_node is not None and module_node.type == "relative_import":
        prefix = next((c for c in module_node.children if c.type == "import_prefix"), None)
        level = len(node_text(prefix))
        dotted = next((c for c in module_node.children if c.type == "dotted_name"), None)
        module = node_text(dotted)
    if any(c.type == "wildcard_import" for c in node.children):
        return [RawImport(module, wildcard=True, level=level, line=line)]
    names = []
    for child in node.children_by_field_name("name"):
        original, local = _dotted(child)
        names.append((local if child.type == "aliased_import" else original, original))
    return [RawImport(module, names=tuple(names), level=level, line=line)]


def _constants(root: Node) -> list[tuple[Node, str]]:
    """Module-level `NAME = …` and `NAME: T = …` (constants, TypeVars, aliases)."""
    found = []
    for statement in root.named_children:
        inner = statement.named_children[0] if statement.type == "expression_statement" else None
        target = inner.child_by_field_name("left") if inner is not None else None
        if inner is not None and inner.type == "assignment" and target.type == "identifier":
            found.append((statement, node_text(target)))
    return found


_USES_QUERY = """
(parameters (identifier) @bound)
(lambda_parameters (identifier) @bound)
(default_parameter name: (identifier) @bound)
(typed_parameter (identifier) @bound)
(typed_default_parameter name: (identifier) @bound)
(list_splat_pattern (identifier) @bound)
(dictionary_splat_pattern (identifier) @bound)
(assignment left: (identifier) @bound)
(pattern_list (identifier) @bound)
(tuple_pattern (identifier) @bound)
(list_pattern (identifier) @bound)
(for_statement left: (identifier) @bound)
(for_in_clause left: (identifier) @bound)
(as_pattern_target (identifier) @bound)
(named_expression name: (identifier) @bound)
(function_definition name: (identifier) @bound)
(class_definition name: (identifier) @bound)
(keyword_argument name: (identifier) @label)
(attribute object: (_) @object attribute: (identifier) @member)
(typed_parameter (identifier) @typed_name type: (type (identifier) @typed_type))
(typed_default_parameter name: (identifier) @typed_name type: (type (identifier) @typed_type))
(assignment left: (identifier) @typed_name right: (call function: (identifier) @typed_type))
(assignment left: (identifier) @made_name
  right: (call function: (attribute object: (identifier) @made_object
                                    attribute: (identifier) @made_method)))
(function_definition name: (identifier) @_test
  parameters: (parameters [(identifier) @fixture (typed_parameter (identifier) @fixture)])
  (#match? @_test "^test"))
(decorated_definition (decorator) @_fixture
  definition: (function_definition
    parameters: (parameters [(identifier) @fixture (typed_parameter (identifier) @fixture)]))
  (#match? @_fixture "fixture"))
"""

PYTHON = LanguageSpec(
    name="python",
    extensions=(".py", ".pyi"),
    grammar=tree_sitter_python.language,
    kinds={"function_definition": "function", "class_definition": "class"},
    last_definition_wins=True,
    wrappers=frozenset({"decorated_definition"}),
    containers={"class_definition": "body"},
    leading=frozenset({"comment"}),
    keywords=words(
        "False None True and as assert async await break class continue def del elif else "
        "except finally for from global if import in is lambda nonlocal not or pass raise "
        "return try while with yield self cls print len str int float bool list dict set "
        "tuple isinstance range super object type"
    ),
    import_query="(import_statement) @import (import_from_statement) @import",
    extract_imports=_imports,
    uses_query=_USES_QUERY,
    docstring_of=_docstring,
    constants_of=_constants,
    returns_of=_returns,
)
