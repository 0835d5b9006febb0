"""Java call sites resolved to methods: calls on fields (injected or not), parameters,
local variables, `this`/`super`, unqualified same-class calls, static calls `Type.m()`,
`new Type()`; a call on an interface (or an abstract method) also reaches each
implementing class's method."""

from __future__ import annotations

from tree_sitter import Node as TSNode

from repomill.code.analysis.call_sites import (
    EXTERNAL,
    UNKNOWN_RECEIVER,
    ParsedFile,
    Resolution,
    Sites,
    descendants,
    text,
)
from repomill.code.analysis.java_types import (
    JavaClass,
    JavaMethod,
    JavaTypes,
    pick,
    takes,
    type_text,
)

CALLS = frozenset({"method_invocation", "object_creation_expression"})
_TYPED = frozenset(
    {"formal_parameter", "local_variable_declaration", "enhanced_for_statement", "resource"}
)
_DECLARES = _TYPED | {
    "spread_parameter",
    "catch_formal_parameter",
    "instanceof_expression",
    "lambda_expression",
}
_LITERALS = frozenset(
    {"string_literal", "character_literal", "class_literal", "array_creation_expression"}
)


def _declared(node: TSNode) -> list[tuple[str, str]]:
    """(name, type text) for each variable `node` declares; "" for an unknown type."""
    kind = type_text(node.child_by_field_name("type"))
    if node.type == "local_variable_declaration":
        found = []
        for declarator in node.children_by_field_name("declarator"):
            value = declarator.child_by_field_name("value")
            if not kind and value is not None and value.type == "object_creation_expression":
                kind = type_text(value.child_by_field_name("type"))  # var x = new T()
            found.append((text(declarator.child_by_field_name("name")), kind))
        return found
    if node.type == "spread_parameter":
        declarator = next(c for c in node.named_children if c.type == "variable_declarator")
        return [(text(declarator.child_by_field_name("name")), "")]
    if node.type == "catch_formal_parameter":
        types = [c for c in node.named_children if c.type == "catch_type"][0].named_children
        return [
            (text(node.child_by_field_name("name")), type_text(types[0]) if len(types) == 1 else "")
        ]
    if node.type == "instanceof_expression":
        name = node.child_by_field_name("name")
        return [(text(name), type_text(node.child_by_field_name("right")))] if name else []
    if node.type == "lambda_expression":
        params = node.child_by_field_name("parameters")
        names = [params] if params.type == "identifier" else params.named_children
        return [(text(n), "") for n in names if n.type == "identifier"]
    return [(text(node.child_by_field_name("name")), kind)]


def _variables(method: TSNode) -> dict[str, tuple[str, str]]:
    """name -> (type text, via) of the method's parameters and locals; a name declared
    with two types, or without one, gets "" (unknown). Scopes are not told apart."""
    variables: dict[str, tuple[str, str]] = {}
    params = method.child_by_field_name("parameters")
    for node in descendants(method, _DECLARES):
        via = "parameter" if node.parent == params else "local"
        for name, kind in _declared(node):
            if name in variables and variables[name][0] != kind:
                kind = ""
            variables[name] = (kind, via)
    return variables


def _position(call: TSNode) -> TSNode:
    return call.child_by_field_name("name") or call


_LITERAL_TYPES = {
    "string_literal": "String",
    "decimal_integer_literal": "int",
    "true": "boolean",
    "false": "boolean",
    "character_literal": "char",
}


class JavaMethodCalls:
    """The call sites of one method body, resolved against the repository's classes."""

    def __init__(
        self, types: JavaTypes, klass: JavaClass, method: TSNode, impls: dict[str, list[str]]
    ):
        self.types, self.klass, self.impls = types, klass, impls
        self.variables = _variables(method)

    def resolve(self, call: TSNode) -> Resolution:
        if call.type == "object_creation_expression":
            return self._new(call)
        invoked = self._invoked(call)
        if isinstance(invoked, str):
            return invoked
        methods, via, owner = invoked
        dispatched = self._dispatch(owner, methods, self._args(call))
        return [(m.id, via) for m in methods] + dispatched

    def _invoked(self, call: TSNode) -> tuple[list[JavaMethod], str, str] | str:
        """(the methods a call resolves to, via, the class they were looked up in)."""
        receiver = call.child_by_field_name("object")
        name, args = text(call.child_by_field_name("name")), self._args(call)
        if receiver is None:
            return self._unqualified(name, args)
        owner = self._receiver(receiver)
        if isinstance(owner, str):
            return owner
        methods = self.types.find_method(owner[0], name, args)
        return methods if isinstance(methods, str) else (methods, owner[1], owner[0])

    def _new(self, call: TSNode) -> Resolution:
        """new T(…): T's constructor taking that many arguments, else the class itself."""
        ident, why = self._type(type_text(call.child_by_field_name("type")))
        if not ident:
            return why
        klass = self.types.classes[ident]
        args = self._args(call)
        fits = pick([m for m in klass.methods.get(klass.name, []) if takes(m, args)], args)
        return [(fits[0].id if isinstance(fits, list) else ident, "new")]

    def _unqualified(
        self, name: str, args: tuple[str, ...]
    ) -> tuple[list[JavaMethod], str, str] | str:
        """m(): a method of this class or an enclosing one (own or inherited), or one
        imported statically."""
        reasons = []
        for owner in self.types.enclosing(self.klass.id):
            methods = self.types.find_method(owner, name, args)
            if isinstance(methods, list):
                return methods, "self", owner
            reasons.append(methods)
        visible = self.types.index.visibility.get(self.klass.path)
        for file, original in visible.named.get(name, []) if visible is not None else []:
            for klass in self.types.by_path[file]:
                methods = self.types.find_method(klass.id, original, args)
                if isinstance(methods, list):
                    return methods, "static", klass.id
        return reasons[0]

    def _args(self, call: TSNode) -> tuple[str, ...]:
        """The static type of each argument of a call, as written ("" where not known)."""
        arguments = call.child_by_field_name("arguments")
        return tuple(
            self._arg_type(arg)
            for arg in (arguments.named_children if arguments is not None else [])
            if "comment" not in arg.type
        )

    def _arg_type(self, node: TSNode) -> str:
        if node.type in _LITERAL_TYPES:
            return _LITERAL_TYPES[node.type]
        if node.type in ("object_creation_expression", "cast_expression"):
            return type_text(node.child_by_field_name("type"))
        if node.type == "identifier" and text(node) in self.variables:
            return self.variables[text(node)][0]
        if node.type == "identifier":
            fields = [self.types.classes[c].fields for c in self.types.enclosing(self.klass.id)]
            return next((f[text(node)] for f in fields if text(node) in f), "")
        return ""

    def _receiver(self, node: TSNode) -> tuple[str, str] | str:
        """(class id, via) of the object a method is called on, or why it is not known."""
        kind = node.type
        if kind == "this":
            return self.klass.id, "self"
        if kind == "super":
            supers = [s for s in self.types.supertypes(self.klass.id)[0]
                      if self.types.classes[s].kind != "interface"]  # fmt: skip
            return (supers[0], "super") if supers else EXTERNAL
        if kind == "identifier":
            return self._named(text(node))
        if kind == "field_access":
            return self._field_access(node)
        if kind == "method_invocation":
            return self._returned(node)
        if kind == "object_creation_expression":
            return self._typed(type_text(node.child_by_field_name("type")), "new")
        if kind == "cast_expression":
            return self._typed(type_text(node.child_by_field_name("type")), "cast")
        if kind == "parenthesized_expression" and node.named_children:
            return self._receiver(node.named_children[0])
        return EXTERNAL if kind in _LITERALS else UNKNOWN_RECEIVER

    def _named(self, name: str) -> tuple[str, str] | str:
        if name in self.variables:
            kind, via = self.variables[name]
            return self._typed(kind, via) if kind else UNKNOWN_RECEIVER
        field = self._field(self.klass.id, name, outers=True)
        if field is not None:
            return field
        ident, why = self._type(name)  # Type.m()
        if ident:
            return ident, "static"
        return why if name[:1].isupper() else UNKNOWN_RECEIVER

    def _field(self, owner: str, name: str, outers: bool = False) -> tuple[str, str] | str | None:
        """The type of field `name` of class `owner` (inherited, or of an enclosing class
        with `outers`), None if it has none."""
        scopes = self.types.enclosing(owner) if outers else [owner]
        for scope in scopes:
            for ancestor in self.types.ancestors(scope):
                klass = self.types.classes[ancestor]
                if name in klass.fields:
                    found = self.types.resolve(klass.path, klass.fields[name], klass.id)
                    return (found[0], "field") if found[0] else found[1]
        return None

    def _field_access(self, node: TSNode) -> tuple[str, str] | str:
        written = text(node)
        head = written.partition(".")[0]
        plain = all(c.type in ("identifier", "field_access", ".") for c in node.children)
        if plain and head not in self.variables and self._field(self.klass.id, head, True) is None:
            ident, _ = self._type(written)  # a.b.Type, Outer.Inner
            if ident:
                return ident, "static"
        owner = self._receiver(node.child_by_field_name("object"))
        if isinstance(owner, str):
            return owner
        field = self._field(owner[0], text(node.child_by_field_name("field")))
        return UNKNOWN_RECEIVER if field is None else field

    def _returned(self, call: TSNode) -> tuple[str, str] | str:
        """The declared return type of the method a call resolves to: a().b()."""
        invoked = self._invoked(call)
        if isinstance(invoked, str):
            return invoked
        method = invoked[0][0]
        found = self.types.resolve(method.path, method.returns, method.owner)
        return (found[0], "return") if found[0] else found[1]

    def _type(self, name: str) -> tuple[str, str]:
        return self.types.resolve(self.klass.path, name, self.klass.id)

    def _typed(self, name: str, via: str) -> tuple[str, str] | str:
        ident, why = self._type(name)
        return (ident, via) if ident else why

    def _dispatch(self, owner: str, methods: list[JavaMethod], args: tuple[str, ...]) -> Resolution:
        """The implementations' methods, for a call on an interface or of an abstract
        method: each concrete class below `owner` with a method of that name."""
        if self.types.classes[owner].kind != "interface" and not any(m.abstract for m in methods):
            return []
        name = methods[0].id.rpartition(".")[2]
        declared = {m.id for m in methods}
        found = []
        for impl in self.impls.get(owner, []):
            targets = self.types.find_method(impl, name, args)
            for method in targets if isinstance(targets, list) else []:
                if method.id not in declared and not method.abstract:
                    found.append((method.id, "implementation"))
        return found


def add_java_calls(
    types: JavaTypes, files: list[ParsedFile], impls: dict[str, list[str]], sites: Sites
) -> None:
    """Every call site in the methods of `files`, resolved, into `sites`."""
    for file in files:
        for definition in file.definitions:
            parent = definition.parent
            if definition.kind != "method" or parent is None:
                continue
            klass = types.classes.get(file.id_of(parent))
            if klass is None:
                continue
            scope = JavaMethodCalls(types, klass, definition.node, impls)
            caller = file.id_of(definition)
            for call in descendants(definition.node, CALLS):
                sites.add(caller, _position(call), scope.resolve(call))
