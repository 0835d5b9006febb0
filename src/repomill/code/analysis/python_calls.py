"""Python call sites resolved to functions and methods: imported functions, module
attributes (`repository.get_book()`), same-module functions, `self.m()`/`cls.m()`,
`super().m()`, methods on `self.x` attributes and on locals and parameters of known
classes, and classes called as constructors."""

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
from repomill.code.analysis.python_names import (
    LITERALS,
    OUTSIDE,
    UNKNOWN,
    Binding,
    PythonNames,
    annotation,
)
from repomill.code.definitions import Definition
from repomill.code.repo_index import RepoIndex

# Nodes that bind the identifiers under them (targets of for, with, except, comprehensions).
_TARGETS = {
    "for_statement": "left",
    "for_in_clause": "left",
    "as_pattern": "alias",
    "named_expression": "name",
}
_PARAMETERS = ("parameters", "lambda_parameters")


def _identifiers(node: TSNode | None) -> list[str]:
    if node is None:
        return []
    return [text(n) for n in descendants(node, frozenset({"identifier"}))]


def _params(function: TSNode) -> list[tuple[str, TSNode | None]]:
    """(name, annotation) of each parameter of a function."""
    found = []
    params = function.child_by_field_name("parameters")
    for param in params.named_children if params is not None else []:
        if param.type == "identifier":
            found.append((text(param), None))
        elif param.type in ("typed_parameter", "typed_default_parameter", "default_parameter"):
            name = param.child_by_field_name("name") or param.named_children[0]
            found.append((text(name), annotation(param.child_by_field_name("type"))))
        else:  # *args, **kwargs
            found += [(name, None) for name in _identifiers(param)]
    return found


class PythonFunctionCalls:
    """The call sites of one function body, resolved against the repository's modules."""

    def __init__(self, names: PythonNames, file: ParsedFile, definition: Definition):
        self.names, self.path = names, file.path
        parent = definition.parent
        self.klass = file.id_of(parent) if parent is not None and parent.kind == "class" else ""
        self.local: dict[str, tuple[Binding, str]] = {}  # name -> (binding, via)
        self.receiver_names: set[str] = set()  # self / cls
        params = _params(definition.node)
        for index, (name, kind) in enumerate(params):
            if index == 0 and self.klass and name in ("self", "cls"):
                self.receiver_names.add(name)
                continue
            bound = names.instance(names.value(file.path, kind)) if kind is not None else UNKNOWN
            self._bind(name, bound, "parameter")
        self._bind_locals(definition.node.child_by_field_name("body"))

    def _bind(self, name: str, binding: Binding, via: str) -> None:
        if name in self.local and self.local[name][0] != binding:
            binding = UNKNOWN  # bound twice, to different things
        self.local[name] = (binding, via)

    def _bind_locals(self, body: TSNode | None) -> None:
        if body is None:
            return
        for node in descendants(body, frozenset({"assignment", *_TARGETS, *_PARAMETERS})):
            if node.type == "assignment":
                left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
                if left.type == "identifier" and right is not None:
                    self._bind(text(left), self._value(right), "local")
                elif left.type != "attribute":
                    for name in _identifiers(left):
                        self._bind(name, UNKNOWN, "local")
            elif node.type in _PARAMETERS:  # of a nested function or lambda
                for name in _identifiers(node):
                    self._bind(name, UNKNOWN, "local")
            else:
                for name in _identifiers(node.child_by_field_name(_TARGETS[node.type])):
                    self._bind(name, UNKNOWN, "local")
        for inner in descendants(body, frozenset({"function_definition", "class_definition"})):
            self._bind(text(inner.child_by_field_name("name")), UNKNOWN, "local")

    def _value(self, node: TSNode) -> Binding:
        """What an expression of the function is, its locals taken into account."""
        if node.type in LITERALS:
            return OUTSIDE
        if node.type == "identifier":
            name = text(node)
            return self.local[name][0] if name in self.local else self.names.lookup(self.path, name)
        if node.type == "call":
            return self.names.instance(self._value(node.child_by_field_name("function")))
        if node.type == "attribute":
            root = node
            while root.type == "attribute":
                root = root.child_by_field_name("object")
            if root.type == "identifier" and text(root) not in self.local:
                return self.names.value(self.path, node)
            base = self._value(node.child_by_field_name("object"))
            return self.names.attribute(base, text(node.child_by_field_name("attribute")))
        return UNKNOWN

    def resolve(self, call: TSNode) -> Resolution:
        function = call.child_by_field_name("function")
        if function.type == "identifier" and text(function) in self.receiver_names:
            return self._called(("def", self.klass), "new")  # cls(…)
        if function.type == "identifier":
            return self._called(self._value(function), self._name_via(text(function)))
        if function.type != "attribute":
            return UNKNOWN_RECEIVER
        receiver = function.child_by_field_name("object")
        name = text(function.child_by_field_name("attribute"))
        owner = self._receiver(receiver)
        if isinstance(owner, str):
            return owner
        (kind, target), via = owner
        if kind == "module":
            return self._called(self.names.lookup(target, name), "module_attribute")
        method, why = self.names.member(target, name, skip_own=via == "super")
        if not method:
            return why
        return [(method, via)]

    def _name_via(self, name: str) -> str:
        if name in self.local:
            return "local"
        return "import" if self.names.is_imported(self.path, name) else "same_module"

    def _receiver(self, node: TSNode) -> tuple[Binding, str] | str:
        """(binding, via) of what a method is called on: a module, or a class (for its
        instances, or itself); else why it is not known."""
        kind = node.type
        if kind == "identifier" and text(node) in self.receiver_names:
            return ("instance", self.klass), "self"
        if kind == "call" and text(node.child_by_field_name("function")) == "super" and self.klass:
            return ("instance", self.klass), "super"
        if kind == "attribute" and text(node.child_by_field_name("object")) in self.receiver_names:
            attribute = text(node.child_by_field_name("attribute"))
            return self._known(self.names.attr_type(self.klass, attribute), "field")
        if kind == "identifier" and text(node) in self.local:
            return self._known(*self.local[text(node)])
        bound = self._value(node)
        return self._known(bound, self._via(node, bound))

    def _via(self, node: TSNode, bound: Binding) -> str:
        """How the receiver of a method call was typed."""
        if node.type == "call":  # T(…).m(), f(…).m()
            called = self._value(node.child_by_field_name("function"))
            return "new" if called[0] == "def" and called[1] in self.names.classes else "return"
        return {"def": "static", "module": "module_attribute"}.get(bound[0], "global")

    def _known(self, binding: Binding, via: str) -> tuple[Binding, str] | str:
        kind, target = binding
        if kind == "module" or (kind in ("def", "instance") and target in self.names.classes):
            return binding, via
        return EXTERNAL if kind == "external" else UNKNOWN_RECEIVER

    def _called(self, binding: Binding, via: str) -> Resolution:
        """A call of a bound name: the function, or a class's constructor (its __init__
        if the repository defines one, else the class)."""
        kind, target = binding
        if kind == "def" and target in self.names.classes:
            init, _ = self.names.member(target, "__init__")
            return [(init or target, "new")]
        if kind == "def":
            return [(target, via)]
        if kind == "external":
            return EXTERNAL
        return UNKNOWN_RECEIVER if kind in ("instance", "module") or via == "local" else NOT_FOUND


def add_python_calls(index: RepoIndex, files: list[ParsedFile], sites: Sites) -> None:
    """Every call site in the functions and methods of `files`, resolved, into `sites`."""
    if not files:
        return
    names = PythonNames(index, files)
    for file in files:
        for definition in file.definitions:
            if definition.kind not in ("function", "method"):
                continue
            scope = PythonFunctionCalls(names, file, definition)
            caller = file.id_of(definition)
            for call in descendants(definition.node, frozenset({"call"})):
                function = call.child_by_field_name("function")
                position = (
                    function.child_by_field_name("attribute")
                    if function.type == "attribute"
                    else function
                )
                sites.add(caller, position, scope.resolve(call))
