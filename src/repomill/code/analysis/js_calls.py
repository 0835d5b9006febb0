"""TypeScript/JavaScript call sites, basic: imported functions (named and namespace
imports), same-file functions, `this.m()` in a class, static calls on imported or
same-file classes. Everything else is counted unresolved."""

from __future__ import annotations

from tree_sitter import Node as TSNode

from repomill.code.analysis.call_sites import (
    EXTERNAL,
    NOT_FOUND,
    UNKNOWN_RECEIVER,
    ParsedFile,
    Resolution,
    Sites,
    descendants,
    text,
)
from repomill.code.analysis.model import Node, node_id
from repomill.code.languages.base import words
from repomill.code.repo_index import RepoIndex

JS_LANGUAGES = frozenset({"javascript", "typescript", "tsx"})
_GLOBALS = words(
    "console JSON Math Object Array Promise String Number Boolean Date Error Symbol Map Set "
    "Reflect window document process globalThis require setTimeout setInterval fetch"
)


class JsModule:
    """What a file's top-level names are: its own definitions, its imports."""

    def __init__(self, index: RepoIndex, nodes: dict[str, Node], path: str):
        self.nodes, self.path = nodes, path
        self.names: dict[str, tuple[str, str]] = {}  # local -> (file, name there) | ("", "")
        self.namespaces: dict[str, str] = {}  # local -> file ("" when external)
        visible = index.visibility.get(path)
        for row in index.resolved.get(path, []):
            target = row["resolved"][0] if row["resolved"] else ""
            if row["alias"]:
                self.namespaces[row["alias"]] = target
            for local, _ in row["names"]:
                named = visible.named.get(local, []) if visible is not None else []
                self.names[local] = named[0] if named else ("", "")

    def defined(self, path: str, qualname: str) -> str:
        ident = node_id(path, qualname)
        return ident if ident in self.nodes else ""

    def function(self, name: str) -> Resolution:
        """A call of a bare name: a function of this file, or an imported one."""
        own = self.defined(self.path, name)
        if own:
            return [(own, "same_module")]
        if name in self.names:
            file, original = self.names[name]
            found = self.defined(file, original) if file else ""
            return [(found, "import")] if found else EXTERNAL if not file else NOT_FOUND
        return EXTERNAL if name in _GLOBALS else UNKNOWN_RECEIVER

    def member(self, receiver: TSNode, name: str, klass: str) -> Resolution:
        """A call of `receiver.name(…)`, inside class `klass` (a qualname, or "")."""
        if receiver.type == "this" and klass:
            found = self.defined(self.path, f"{klass}.{name}")
            return [(found, "self")] if found else NOT_FOUND
        if receiver.type != "identifier":
            return UNKNOWN_RECEIVER
        owner = text(receiver)
        if owner in self.namespaces:
            file = self.namespaces[owner]
            found = self.defined(file, name) if file else ""
            return [(found, "module_attribute")] if found else NOT_FOUND if file else EXTERNAL
        target = self.function(owner)
        if isinstance(target, str):
            return target
        cls = self.nodes[target[0][0]]
        if cls.kind != "class":
            return UNKNOWN_RECEIVER
        found = self.defined(cls.path, f"{cls.qualname}.{name}")
        return [(found, "static")] if found else NOT_FOUND


def _resolve(module: JsModule, call: TSNode, klass: str) -> Resolution:
    function = call.child_by_field_name("function")
    if function.type == "identifier":
        return module.function(text(function))
    if function.type == "member_expression":
        receiver = function.child_by_field_name("object")
        return module.member(receiver, text(function.child_by_field_name("property")), klass)
    return UNKNOWN_RECEIVER


def add_js_calls(
    index: RepoIndex, nodes: dict[str, Node], files: list[ParsedFile], sites: Sites
) -> None:
    """Every call site in the functions and methods of `files`, resolved, into `sites`."""
    for file in files:
        module = JsModule(index, nodes, file.path)
        for definition in file.definitions:
            if definition.kind not in ("function", "method"):
                continue
            parent = definition.parent
            klass = parent.qualname if parent is not None and parent.kind == "class" else ""
            for call in descendants(definition.node, frozenset({"call_expression"})):
                function = call.child_by_field_name("function")
                position = function.child_by_field_name("property") or function
                sites.add(file.id_of(definition), position, _resolve(module, call, klass))
