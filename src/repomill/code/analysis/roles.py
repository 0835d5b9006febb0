"""The role of each definition (entry point, service, data access, entity, config, test)
from its annotations, decorators, base classes, name and place, by one table of rules
per language; `Role.rule` says which rule fired. Precedence: a test file; a handler
registered at a call site; the definition's own rules in table order; its class's role
(methods inherit, as "inherited <rule>"); rules on its package or module."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import PurePosixPath
from typing import Any

from repomill.code.analysis import entry_points as ep
from repomill.code.analysis.model import Read, Role, Statement, node_id
from repomill.code.analysis.mybatis import java_types
from repomill.code.analysis.role_rules import (
    ENTITY_MODULES,
    ENTITY_PACKAGES,
    JPA_BASES,
    LISTENERS,
    ORM_BASES,
    Definition,
    RoleRule,
    calling,
    extends,
    mapper_interface,
    marked,
    model_dataclass,
    mybatis_annotation,
    named,
    orm_call,
    placed,
    python_orm_model,
    sql_call,
)
from repomill.code.analysis.syntax import Sources, marks_of

TEST_DIRS = frozenset({"test", "tests", "__tests__", "testing", "spec", "specs"})
TEST_FILES = ("test_*.py", "*_test.py", "conftest.py", "*_test.go", "*Test.java")
TEST_FILES += ("*Tests.java", "*IT.java", "*.test.[jt]s*", "*.spec.[jt]s*")


def why_test_file(path: str) -> str:
    """Why `path` is a test file ("path tests/", "file test_*.py"), or ""."""
    parts = PurePosixPath(path).parts
    for directory in parts[:-1]:
        if directory in TEST_DIRS:
            return f"path {directory}/"
    return next((f"file {p}" for p in TEST_FILES if fnmatch(parts[-1], p)), "")


@dataclass(frozen=True)
class Table:
    types: tuple[RoleRule, ...] = ()
    functions: tuple[RoleRule, ...] = ()
    places: tuple[RoleRule, ...] = ()


JAVA = Table(
    types=(
        marked(ep.SPRING_CONTROLLERS, "entry_point", "controller"),
        marked({"Path"}, "entry_point", "controller"),  # JAX-RS resource
        marked({"RocketMQMessageListener"}, "entry_point", "listener"),
        mybatis_annotation,
        extends(JPA_BASES, "data_access", "jpa_repository"),
        extends({"BaseMapper"}, "data_access", "mybatis_mapper"),
        mapper_interface,
        marked({"Repository"}, "data_access", "repository"),
        marked({"Entity", "Table", "Document", "TableName", "Embeddable"}, "entity", "entity"),
        marked({"MappedSuperclass"}, "entity", "entity"),
        marked({"Service", "Component"}, "service", "spring"),
        marked(
            {"Configuration", "ConfigurationProperties", "SpringBootApplication"},
            "config",
            "spring",
        ),
        named(("Service", "ServiceImpl"), "service", "name"),
        named(("Config", "Configuration"), "config", "name"),
    ),
    functions=(
        ep.spring_mapping,
        ep.jaxrs_resource,
        marked({"Scheduled", "XxlJob"}, "entry_point", "scheduled"),
        marked(LISTENERS, "entry_point", "listener"),
        marked({"Test", "ParameterizedTest", "RepeatedTest", "TestFactory"}, "test", "junit"),
        marked({"Select", "Insert", "Update", "Delete"}, "data_access", "mybatis_mapper"),
        calling(orm_call, "data_access", "orm"),
        calling(sql_call, "data_access", "sql"),
    ),
    places=(
        placed(ENTITY_PACKAGES, "entity", "model", types_only=True),
        placed(("service", "services"), "service", "package"),
        placed(("config", "configuration"), "config", "package"),
    ),
)
PYTHON = Table(
    types=(
        extends({"BaseSettings"}, "config", "settings"),
        python_orm_model,
        extends({"BaseModel"}, "entity", "pydantic"),
        model_dataclass,
        named(("Service",), "service", "name"),
        named(("Repository", "Repo", "Dao", "DAO"), "data_access", "repository"),
        named(("Config", "Settings"), "config", "name"),
    ),
    functions=(
        ep.python_route,
        ep.python_command,
        ep.python_job,
        calling(orm_call, "data_access", "orm"),
        calling(sql_call, "data_access", "sql"),
    ),
    places=(
        placed(
            ("services", "service", "service_*", "*_service", "*_services"), "service", "module"
        ),
        placed(("repository", "repositories", "dao", "daos"), "data_access", "repository"),
        placed(tuple(ENTITY_MODULES), "entity", "model", types_only=True),
        placed(("settings", "config", "conf", "configuration"), "config", "module"),
    ),
)
SCRIPT = Table(
    types=(
        named(("Service",), "service", "name"),
        named(("Repository",), "data_access", "repository"),
    ),
    functions=(calling(sql_call, "data_access", "sql"),),
    places=(placed(("services", "service"), "service", "module"),),
)
TABLES = {"java": JAVA, "python": PYTHON, "javascript": SCRIPT, "typescript": SCRIPT, "tsx": SCRIPT}
TABLES |= {
    "rust": Table(types=(ep.rust_cli,)),
    "go": Table(functions=(calling(sql_call, "data_access", "sql"),)),
}


class Context:
    """What rules need beyond one definition: packages, imports, the interfaces mapper
    XML files name, the declarative bases of the repository's ORM models."""

    def __init__(self, index: Any, sources: Sources, statements: Sequence[Statement]):
        self.index, self.sources = index, sources
        types = java_types(index)
        self.namespaces = {types[s.namespace] for s in statements if s.namespace in types}
        self.packages = {
            p: r["module"]
            for p, rows in index.imports.items()
            for r in rows
            if r["alias"] == "package"
        }
        self.orm_bases = ORM_BASES | _declarative_bases(index)
        self._prefixes: dict[str, dict[str, str]] = {}

    def imports(self, path: str) -> list[dict[str, Any]]:
        return self.index.imports.get(path, [])

    def prefixes(self, path: str) -> dict[str, str]:
        if path not in self._prefixes:
            tree = self.sources.tree(path)
            self._prefixes[path] = ep.route_prefixes(tree.root_node) if tree else {}
        return self._prefixes[path]

    def definition(self, symbol: dict[str, Any], parent: Definition | None) -> Definition:
        path = PurePosixPath(symbol["path"])
        package = self.packages.get(symbol["path"])
        segments = tuple(package.split(".")) if package else (*path.parts[:-1], path.stem)
        node = self.sources.definition(symbol)
        d = Definition(
            node_id(symbol["path"], symbol["qualname"]), symbol, node, parent, segments, self
        )
        d.marks = marks_of(node)
        return d


def _declarative_bases(index: Any) -> set[str]:
    """Names of Python classes deriving from SQLAlchemy's DeclarativeBase, and of
    module variables assigned `declarative_base()`."""
    found = {s["name"] for s in index.symbols if "DeclarativeBase" in s["signature"]}
    for chunk in index.chunks:
        if chunk["language"] == "python" and chunk["kind"] == "module":
            for match in re.finditer(
                r"^(\w+)\s*=\s*(?:\w+\.)*declarative_base\(", chunk.get("text", ""), re.M
            ):
                found.add(match.group(1))
    return found


def assign_roles(index: Any, read: Read, statements: Sequence[Statement] = ()) -> dict[str, Role]:
    """node id -> Role for every definition some rule places. `statements` (from
    mybatis.mapper_statements) make the interfaces their XML names data access."""
    sources = Sources(index, read)
    context = Context(index, sources, statements)
    registered = ep.call_site_roles(index, sources)
    roles: dict[str, Role] = {}
    seen: dict[tuple[str, str], Definition] = {}
    for symbol in sorted(index.symbols, key=lambda s: s["qualname"].count(".")):
        parent = seen.get((symbol["path"], symbol["parent"])) if symbol["parent"] else None
        d = seen[(symbol["path"], symbol["qualname"])] = context.definition(symbol, parent)
        role = _role_of(d, roles, registered)
        if role is not None:
            roles.setdefault(d.id, role)  # overloads share a node id: the first one keeps it
    order = [node_id(s["path"], s["qualname"]) for s in index.symbols]
    return {nid: roles[nid] for nid in dict.fromkeys(order) if nid in roles}


def _role_of(d: Definition, roles: dict[str, Role], registered: dict[str, Role]) -> Role | None:
    if rule := why_test_file(d.path):
        return Role(d.id, "test", "test", rule)
    if d.id in registered:
        return registered[d.id]
    inherited = _inherited(d, roles)
    if inherited is not None and inherited.kind == "http":
        return inherited  # get/post of a class-based view
    table = TABLES.get(d.symbol["language"], Table())
    for rule in table.types if d.is_type else table.functions:
        if (role := rule(d)) is not None:
            return role
    if inherited is not None:
        return inherited
    return next((role for rule in table.places if (role := rule(d)) is not None), None)


def _inherited(d: Definition, roles: dict[str, Role]) -> Role | None:
    """The role of the class `d` is a member of. A class routed as a whole (a Django
    view) gives its route to methods named after HTTP verbs; its other members, and
    members of controllers, are entry_point/controller without a route."""
    owner = roles.get(d.parent.id) if d.parent is not None and d.parent.is_type else None
    if owner is None:
        return None
    rule = owner.rule if owner.rule.startswith("inherited ") else "inherited " + owner.rule
    if owner.kind != "http":
        return Role(d.id, owner.role, owner.kind, rule)
    if d.name.lower() in ep.VERBS:
        return ep.http(d.id, rule, d.name.upper(), owner.route)
    return Role(d.id, owner.role, "controller", rule)
