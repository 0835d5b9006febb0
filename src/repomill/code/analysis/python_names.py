"""What a name means in a Python module of the repository: a definition, a module, an
instance of a known class, or something from outside (a library, a builtin). Built from
the index's resolved imports and each module's top-level definitions and assignments;
classes with their methods, bases and the types of their `self.x` attributes."""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field

from tree_sitter import Node as TSNode

from repomill.code.analysis.call_sites import (
    EXTERNAL,
    NOT_FOUND,
    UNKNOWN_RECEIVER,
    ParsedFile,
    text,
)
from repomill.code.definitions import Definition
from repomill.code.repo_index import RepoIndex

# A binding: (kind, target). kind: def (a node id) | module (a path) | instance (of the
# class node id) | external | unknown; and, only while imports are followed, name.
Binding = tuple[str, str]
UNKNOWN: Binding = ("unknown", "")
OUTSIDE: Binding = ("external", "")
_BUILTINS = frozenset(dir(builtins))
_MAX_HOPS = 6  # re-exports and aliases followed before giving up
LITERALS = frozenset(
    {"string", "concatenated_string", "list", "dictionary", "set", "tuple", "integer", "float"}
    | {"list_comprehension", "dictionary_comprehension", "set_comprehension"}
)


@dataclass
class PyClass:
    id: str
    path: str
    bases: list[TSNode]
    methods: dict[str, str] = field(default_factory=dict)  # name -> node id
    attrs: dict[str, TSNode | None] = field(default_factory=dict)  # self.x -> its type


def _module_name(path: str) -> str:
    stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return path.rsplit("/", 2)[-2] if stem == "__init__" and "/" in path else stem


def annotation(node: TSNode | None) -> TSNode | None:
    """The class expression of a type annotation when it is a plain name: `Repo`,
    `models.Repo`, `Repo | None`."""
    if node is not None and node.type == "type" and node.named_children:
        node = node.named_children[0]
    if node is not None and node.type == "binary_operator":  # X | None
        sides = [node.child_by_field_name(side) for side in ("left", "right")]
        named = [side for side in sides if side is not None and side.type != "none"]
        node = named[0] if len(named) == 1 else None
    return node if node is not None and node.type in ("identifier", "attribute") else None


def _assignments(block: TSNode):
    """The `name = …` / `name: T = …` statements directly in a block: (name, node)."""
    for statement in block.named_children:
        if statement.type != "expression_statement" or not statement.named_children:
            continue
        node = statement.named_children[0]
        left = node.child_by_field_name("left") if node.type == "assignment" else None
        if left is not None and left.type == "identifier":
            yield text(left), node


def _class_attrs(body: TSNode, klass: PyClass) -> None:
    """The class-level attributes: typed by their annotation (`repo: Repo`), else None."""
    for name, node in _assignments(body):
        klass.attrs[name] = annotation(node.child_by_field_name("type"))


def _self_attrs(function: TSNode, klass: PyClass) -> None:
    """The `self.x = …` assignments of a method: x's type from an annotation, a call
    (`Repo(…)`) or an annotated parameter; None where it is not known or not one."""
    params = function.child_by_field_name("parameters")
    typed = {}
    for param in params.named_children if params is not None else []:
        if param.type in ("typed_parameter", "typed_default_parameter"):
            name = param.child_by_field_name("name") or param.named_children[0]
            typed[text(name)] = annotation(param.child_by_field_name("type"))
    stack = [function.child_by_field_name("body")]
    while stack:
        node = stack.pop()
        if node is None:
            continue
        stack.extend(node.named_children)
        left = node.child_by_field_name("left") if node.type == "assignment" else None
        if (
            left is None
            or left.type != "attribute"
            or text(left.child_by_field_name("object")) != "self"
        ):
            continue
        right = node.child_by_field_name("right")
        kind = annotation(node.child_by_field_name("type"))
        if kind is None and right is not None:
            kind = right if right.type == "call" else typed.get(text(right))
        name = text(left.child_by_field_name("attribute"))
        same = name not in klass.attrs or (
            kind is not None and text(klass.attrs[name]) == text(kind)
        )
        klass.attrs[name] = kind if same else None


class PythonNames:
    """The meaning of each module-level name of the repository's Python files."""

    def __init__(self, index: RepoIndex, files: list[ParsedFile]):
        self.defs: dict[str, dict[str, str]] = {}  # path -> top-level name -> node id
        self.values: dict[str, dict[str, TSNode]] = {}  # path -> name -> assigned value
        self.imports: dict[str, dict[str, tuple[str, str, str]]] = {}
        self.dotted: dict[str, dict[str, str]] = {}  # path -> "a.b" -> module file
        self.classes: dict[str, PyClass] = {}
        self.returns: dict[str, TSNode] = {}  # function id -> its return annotation
        for file in files:
            self._add_module(file)
            self._add_imports(index, file.path)

    def _add_module(self, file: ParsedFile) -> None:
        self.defs[file.path] = {d.name: file.id_of(d) for d in file.definitions if d.parent is None}
        self.values[file.path] = {
            name: node.child_by_field_name("right")
            for name, node in _assignments(file.root)
            if node.child_by_field_name("right") is not None
        }
        for definition in file.definitions:
            if definition.kind == "class":
                self._add_class(file, definition)
                continue
            returns = annotation(definition.node.child_by_field_name("return_type"))
            if returns is not None:
                self.returns[file.id_of(definition)] = returns
            parent = definition.parent
            owner = self.classes.get(file.id_of(parent)) if parent is not None else None
            if owner is not None and definition.kind == "method":
                owner.methods[definition.name] = file.id_of(definition)
                _self_attrs(definition.node, owner)

    def _add_class(self, file: ParsedFile, definition: Definition) -> None:
        bases = definition.node.child_by_field_name("superclasses")
        written = bases.named_children if bases is not None else []
        named = [b for b in written if b.type in ("identifier", "attribute")]
        klass = PyClass(file.id_of(definition), file.path, named)
        self.classes[klass.id] = klass
        if definition.body is not None:
            _class_attrs(definition.body, klass)

    def _add_imports(self, index: RepoIndex, path: str) -> None:
        imports = self.imports[path] = {}
        dotted = self.dotted[path] = {}
        visible = index.visibility.get(path)
        for row in index.resolved.get(path, []):
            targets = row["resolved"]
            if row["wildcard"]:
                for target in targets:
                    imports.setdefault(f"*{target}", ("module", target, ""))
            elif row["alias"]:
                imports[row["alias"]] = (
                    ("module", targets[0], "") if targets else ("external", "", "")
                )
            elif not row["names"]:  # import a.b.c
                root = row["module"].partition(".")[0]
                if targets and _module_name(targets[0]) == row["module"].rpartition(".")[2]:
                    dotted[row["module"]] = targets[0]
                imports[root] = ("package", "", "") if targets else ("external", "", "")
            for local, original in row["names"]:
                named = visible.named.get(local, []) if visible is not None else []
                modules = [t for t in targets if _module_name(t) == original]
                if named:
                    imports[local] = ("name", *named[0])
                elif modules:
                    imports[local] = ("module", modules[0], "")
                else:
                    imports[local] = ("external", "", "")

    def is_imported(self, path: str, name: str) -> bool:
        return name in self.imports.get(path, {})

    def lookup(self, path: str, name: str, hops: int = 0) -> Binding:
        """What module-level `name` of the module at `path` is."""
        if hops > _MAX_HOPS:
            return UNKNOWN
        if name in self.defs.get(path, {}):
            return "def", self.defs[path][name]
        if name in self.values.get(path, {}):
            return self.value(path, self.values[path][name], hops + 1)
        imported = self.imports.get(path, {}).get(name)
        if imported is not None:
            kind, target, original = imported
            if kind == "name":
                return self.lookup(target, original, hops + 1)
            return (kind, target) if kind != "package" else UNKNOWN
        for key, (_, target, _) in self.imports.get(path, {}).items():
            if key.startswith("*"):
                found = self.lookup(target, name, hops + 1)
                if found != UNKNOWN:
                    return found
        return OUTSIDE if name in _BUILTINS else UNKNOWN

    def value(self, path: str, node: TSNode, hops: int = 0) -> Binding:
        """What an expression of the module at `path` is: a name, `a.b`, `T(…)`, a literal."""
        if node.type in LITERALS:
            return OUTSIDE  # a str, a list…
        if node.type == "identifier":
            return self.lookup(path, text(node), hops)
        if node.type == "attribute":
            if text(node) in self.dotted.get(path, {}):
                return "module", self.dotted[path][text(node)]
            base = self.value(path, node.child_by_field_name("object"), hops)
            return self.attribute(base, text(node.child_by_field_name("attribute")), hops)
        if node.type == "call":
            called = self.value(path, node.child_by_field_name("function"), hops)
            return self.instance(called, hops + 1)
        return UNKNOWN

    def attribute(self, base: Binding, name: str, hops: int = 0) -> Binding:
        kind, target = base
        if kind == "module":
            return self.lookup(target, name, hops + 1)
        if kind in ("def", "instance") and target in self.classes:
            method, why = self.member(target, name)
            if method:
                return "def", method
            if kind == "instance" and name in self.classes[target].attrs:
                return self.attr_type(target, name)
            return OUTSIDE if why == EXTERNAL else UNKNOWN
        return OUTSIDE if kind == "external" else UNKNOWN

    def instance(self, called: Binding, hops: int = 0) -> Binding:
        """What calling `called` gives: an instance of a class of the repository (the class
        called, or the one a function's return annotation names), something external, or
        unknown."""
        kind, target = called
        if kind == "def" and target in self.classes:
            return "instance", target
        if kind == "def" and target in self.returns and hops <= _MAX_HOPS:
            returned = self.value(target.partition("::")[0], self.returns[target], hops + 1)
            return ("instance", returned[1]) if returned[0] == "def" else UNKNOWN
        return OUTSIDE if kind == "external" else UNKNOWN

    def member(
        self, ident: str, name: str, skip_own: bool = False, depth: int = 0
    ) -> tuple[str, str]:
        """(node id, "") of the method `name` of a class or its nearest base, or ("", why)."""
        klass = self.classes[ident]
        if name in klass.methods and not skip_own:
            return klass.methods[name], ""
        if name in klass.attrs and not skip_own:
            return "", UNKNOWN_RECEIVER  # an attribute holding who knows which callable
        external = False
        for base in klass.bases if depth < _MAX_HOPS else []:
            kind, target = self.value(klass.path, base)
            if kind == "def" and target in self.classes:
                found = self.member(target, name, depth=depth + 1)
                if found[0]:
                    return found
                external |= found[1] == EXTERNAL
            else:
                external |= kind == "external"
        return "", EXTERNAL if external else NOT_FOUND

    def attr_type(self, ident: str, name: str, depth: int = 0) -> Binding:
        """The instance a `self.name` attribute of a class (or of its bases) holds."""
        klass = self.classes[ident]
        if name in klass.attrs:
            kind = klass.attrs[name]
            if kind is None:
                return UNKNOWN
            found = self.value(klass.path, kind)
            return found if kind.type == "call" else self.instance(found)
        for base in klass.bases if depth < _MAX_HOPS else []:
            kind, target = self.value(klass.path, base)
            if kind == "def" and target in self.classes:
                return self.attr_type(target, name, depth + 1)
        return UNKNOWN
