"""The Java classes of a repository as call resolution needs them: each class's fields,
methods (arity, return type), supertypes; how a type name written in a file resolves to a
class (its own file, its imports, its package); which classes implement an interface."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from tree_sitter import Node as TSNode

from repomill.code.analysis.call_sites import (
    AMBIGUOUS,
    EXTERNAL,
    GENERATED,
    NOT_FOUND,
    ParsedFile,
    text,
)
from repomill.code.definitions import Definition
from repomill.code.repo_index import RepoIndex

OBJECT_METHODS = frozenset(
    {"equals", "hashCode", "toString", "getClass", "clone", "finalize", "notify", "wait"}
)
# Lombok annotations that generate methods (accessors, builders, constructors).
LOMBOK = frozenset({"@Data", "@Getter", "@Setter", "@Builder", "@Value", "@SuperBuilder"})
_TYPE_KINDS = frozenset({"class", "interface", "enum", "record"})
_PARAMS = frozenset({"formal_parameter", "spread_parameter"})


@dataclass
class JavaMethod:
    id: str
    owner: str  # the class's id
    params: tuple[str, ...]  # the parameters' types, as written (generics dropped)
    varargs: bool
    returns: str  # the declared return type's text ("" for void and primitives)
    abstract: bool  # no body: an interface or abstract method
    path: str


@dataclass
class JavaClass:
    id: str
    path: str
    name: str
    kind: str  # class | interface | enum | record
    abstract: bool
    generated: bool  # Lombok writes some of its methods
    outer: str  # the enclosing class's id, or ""
    supers: list[str]  # extends + implements, as written
    fields: dict[str, str] = field(default_factory=dict)  # name -> type text
    methods: dict[str, list[JavaMethod]] = field(default_factory=dict)


def type_text(node: TSNode | None) -> str:
    """A type as a resolvable name: generics dropped; "" for primitives, arrays, void."""
    if node is None:
        return ""
    if node.type == "generic_type":
        return type_text(node.named_children[0])
    if node.type == "annotated_type":
        return type_text(node.named_children[-1])
    if node.type in ("type_identifier", "scoped_type_identifier"):
        name = text(node)
        return "" if name == "var" else name
    return ""


def _supers(node: TSNode) -> list[str]:
    found = []
    for child in node.named_children:
        if child.type in ("superclass", "super_interfaces", "extends_interfaces"):
            lists = [c for c in child.named_children if c.type == "type_list"] or [child]
            found += [type_text(t) for holder in lists for t in holder.named_children]
    return [name for name in found if name]


def _modifiers(node: TSNode) -> str:
    return next((text(c) for c in node.children if c.type == "modifiers"), "")


def _method(file: ParsedFile, definition: Definition, owner: str) -> JavaMethod:
    decl = definition.node
    params = decl.child_by_field_name("parameters")
    kinds = [p.type for p in params.named_children] if params is not None else []
    return JavaMethod(
        id=file.id_of(definition),
        owner=owner,
        params=tuple(_param_type(p) for p in params.named_children if p.type in _PARAMS),
        varargs="spread_parameter" in kinds,
        returns=type_text(decl.child_by_field_name("type")),
        abstract=decl.child_by_field_name("body") is None,
        path=file.path,
    )


def _param_type(param: TSNode) -> str:
    written = param.child_by_field_name("type") or param.named_children[0]
    return type_text(written) or text(written)  # int, String[]: as written


def _fields(body: TSNode, klass: str) -> dict[str, str]:
    """name -> type text of the fields of a class body; an enum's constants are its own."""
    fields = {}
    members = list(body.named_children)
    for member in members:
        if member.type == "enum_body_declarations":
            members += member.named_children
        if member.type == "enum_constant":
            fields[text(member.child_by_field_name("name"))] = klass
        if member.type in ("field_declaration", "constant_declaration"):
            kind = type_text(member.child_by_field_name("type"))
            for declarator in member.children_by_field_name("declarator"):
                fields[text(declarator.child_by_field_name("name"))] = kind
    return fields


class JavaTypes:
    """Every class, interface, enum and record of the repository's Java files."""

    def __init__(self, index: RepoIndex, files: list[ParsedFile]):
        self.index = index
        self.classes: dict[str, JavaClass] = {}
        self.by_path: dict[str, list[JavaClass]] = defaultdict(list)
        self.by_name: dict[str, list[JavaClass]] = defaultdict(list)
        self.package = {
            path: raw["module"]
            for path, raws in index.imports.items()
            for raw in raws
            if raw["alias"] == "package"
        }
        for file in files:
            self._add_file(file)
        self._cache: dict[tuple[str, str, str], tuple[str, str]] = {}

    def _add_file(self, file: ParsedFile) -> None:
        for definition in file.definitions:
            parent = definition.parent
            if definition.kind in _TYPE_KINDS:
                self._add_class(file, definition)
            elif definition.kind == "method" and parent is not None:
                owner = self.classes.get(file.id_of(parent))
                if owner is not None:
                    owner.methods.setdefault(definition.name, []).append(
                        _method(file, definition, owner.id)
                    )

    def _add_class(self, file: ParsedFile, definition: Definition) -> None:
        parent = definition.parent
        outer = file.id_of(parent) if parent is not None else ""
        annotations = set(_modifiers(definition.node).replace("(", " ").split())
        klass = JavaClass(
            id=file.id_of(definition),
            path=file.path,
            name=definition.name,
            kind=definition.kind,
            abstract="abstract" in annotations,
            generated=bool(annotations & LOMBOK),
            outer=outer if outer in self.classes else "",
            supers=_supers(definition.node),
            fields=_fields(definition.body, definition.name) if definition.body else {},
        )
        self.classes[klass.id] = klass
        self.by_path[file.path].append(klass)
        self.by_name[klass.name].append(klass)

    def resolve(self, path: str, name: str, within: str = "") -> tuple[str, str]:
        """(class id, "") for a type name written in `path` (inside class `within`), or
        ("", why not)."""
        key = (path, name, within)
        if key not in self._cache:
            self._cache[key] = self._resolve(path, name, within)
        return self._cache[key]

    def _resolve(self, path: str, name: str, within: str) -> tuple[str, str]:
        if not name:
            return "", EXTERNAL
        head, _, rest = name.partition(".")
        if rest:  # Outer.Inner, or a package-qualified name
            outer, _ = self._resolve(path, head, within)
            if outer:
                return self._nested(outer, rest)
            package, _, simple = name.rpartition(".")
            return _one(c for c in self.by_name[simple] if self.package.get(c.path) == package)
        return self._simple(path, name, within)

    def _nested(self, outer: str, rest: str) -> tuple[str, str]:
        for part in rest.split("."):
            inner = [c for c in self.by_path[self.classes[outer].path] if c.outer == outer]
            outer, why = _one(c for c in inner if c.name == part)
            if not outer:
                return "", why
        return outer, ""

    def _simple(self, path: str, name: str, within: str) -> tuple[str, str]:
        local = [c for c in self.by_path[path] if c.name == name]
        if len(local) > 1:  # nested classes of one name: the one nearest `within`
            local = [c for c in local if c.outer in self.enclosing(within)] or local
        if local:
            return _one(local)
        visible = self.index.visibility.get(path)
        named = visible.named.get(name, []) if visible is not None else []
        if named:
            return _one(c for file, orig in named for c in self.by_path[file] if c.name == orig)
        rows = self.index.resolved.get(path, [])
        if any(bound == name for row in rows for bound, _ in row["names"]):
            return "", EXTERNAL  # imported from outside the repository
        modules = visible.modules if visible is not None else []
        found = [
            c for file in modules for c in self.by_path[file] if c.name == name and not c.outer
        ]
        if found or path in self.package:
            return _one(found) if found else ("", EXTERNAL)  # java.lang, a wildcard import…
        return _one(c for c in self.by_name[name] if not c.outer)  # no package: by name

    def enclosing(self, within: str) -> list[str]:
        """The class and the classes it is nested in, innermost first."""
        chain = []
        while within:
            chain.append(within)
            within = self.classes[within].outer if within in self.classes else ""
        return chain

    def supertypes(self, ident: str) -> tuple[list[str], bool]:
        """The repository's direct supertypes of a class, and whether any is external."""
        klass = self.classes[ident]
        found, external = [], False
        for name in klass.supers:
            resolved, _ = self.resolve(klass.path, name, klass.outer)
            external |= not resolved
            if resolved and resolved != ident:
                found.append(resolved)
        return found, external

    def ancestors(self, ident: str) -> list[str]:
        """The class and its supertypes, nearest first (breadth first, each once)."""
        order, queue = [], [ident]
        while queue:
            current = queue.pop(0)
            if current not in order:
                order.append(current)
                queue += self.supertypes(current)[0]
        return order

    def find_method(self, ident: str, name: str, args: tuple[str, ...]) -> list[JavaMethod] | str:
        """The method `name` that class `ident` has (its own or inherited, the nearest) for
        arguments of those types ("" where not known), or why there is none. Overloads
        share the method's node id (its lines are the first overload's)."""
        external = self.classes[ident].kind in ("enum", "record") or name in OBJECT_METHODS
        generated = False
        for current in self.ancestors(ident):
            fits = [m for m in self.classes[current].methods.get(name, []) if takes(m, args)]
            if fits:
                return pick(fits, args)
            external |= self.supertypes(current)[1]
            generated |= self.classes[current].generated
        return GENERATED if generated else EXTERNAL if external else NOT_FOUND

    def implementations(self) -> dict[str, list[str]]:
        """Interface and abstract class ids -> the concrete classes below them."""
        below: dict[str, set[str]] = defaultdict(set)
        for ident, klass in self.classes.items():
            if klass.kind == "interface" or klass.abstract:
                continue
            for ancestor in self.ancestors(ident)[1:]:
                above = self.classes[ancestor]
                if above.kind == "interface" or above.abstract:
                    below[ancestor].add(ident)
        return {ident: sorted(found) for ident, found in sorted(below.items())}


def takes(method: JavaMethod, args: tuple[str, ...]) -> bool:
    if method.varargs:
        return len(args) >= len(method.params) - 1
    return len(args) == len(method.params)


def pick(fits: list[JavaMethod], args: tuple[str, ...]) -> list[JavaMethod] | str:
    """The one overload that fits, or the one whose parameter types are exactly the
    arguments' (all known); else AMBIGUOUS."""
    if len(fits) > 1 and all(args):
        fits = [m for m in fits if m.params == args and not m.varargs]
    return fits if len(fits) == 1 else AMBIGUOUS


def _one(classes) -> tuple[str, str]:
    found = list(dict.fromkeys(c.id for c in classes))
    if len(found) == 1:
        return found[0], ""
    return "", AMBIGUOUS if found else EXTERNAL
