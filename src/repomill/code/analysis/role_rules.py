"""The vocabulary of role rules: a `Definition` (one index symbol with its marks, bases,
calls and place), rule factories (`marked`, `extends`, `named`, `placed`, `calling`) and
the predicates that need more than a factory (ORM and SQL calls, MyBatis mappers, ORM
models). roles.py arranges them into one table per language."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatch
from functools import cached_property
from typing import TYPE_CHECKING, Any

from tree_sitter import Node

from repomill.code.analysis.model import Role
from repomill.code.analysis.syntax import Call, Mark, calls_in, last_name, strings_in, text
from repomill.code.languages.base import TYPE_KINDS, words

if TYPE_CHECKING:
    from repomill.code.analysis.roles import Context


@dataclass
class Definition:
    """One index symbol with what the rules look at."""

    id: str
    symbol: dict[str, Any]
    node: Node | None
    parent: Definition | None
    segments: tuple[str, ...]  # Java: the package; else the directories and the file's stem
    context: Context
    marks: list[Mark] = field(default_factory=list)

    name = property(lambda self: self.symbol["name"])
    path = property(lambda self: self.symbol["path"])
    is_type = property(lambda self: self.symbol["kind"] in TYPE_KINDS)
    prefixes = property(lambda self: self.context.prefixes(self.path))

    @cached_property
    def bases(self) -> list[str]:
        """Base classes and implemented interfaces, as written (`db.Model`, `JpaRepository<…>`)."""
        node, found = self.node, []
        for child in node.children if node is not None else ():
            if child.type in ("superclasses", "argument_list"):  # python
                found += [text(c) for c in child.named_children if c.type != "keyword_argument"]
            elif child.type in ("superclass", "super_interfaces", "extends_interfaces"):
                for item in child.named_children:
                    items = item.named_children if item.type == "type_list" else [item]
                    found += [text(i) for i in items]
        return found

    @cached_property
    def calls(self) -> list[Call]:
        return list(calls_in(self.node)) if self.node is not None and not self.is_type else []


RoleRule = Callable[[Definition], Role | None]


def marked(names: Iterable[str], role: str, kind: str) -> RoleRule:
    """An annotation or decorator of one of `names` (the last identifier)."""
    wanted = frozenset(names)

    def rule(d: Definition) -> Role | None:
        mark = next((m for m in d.marks if m.name in wanted), None)
        return Role(d.id, role, kind, "@" + mark.full) if mark else None

    return rule


def extends(bases: Iterable[str], role: str, kind: str) -> RoleRule:
    """A base class or interface whose last name (`JpaRepository<…>` -> `JpaRepository`)
    is one of `bases`."""
    wanted = frozenset(bases)

    def rule(d: Definition) -> Role | None:
        base = next((b for b in d.bases if last_name(b) in wanted), None)
        return Role(d.id, role, kind, f"extends {base}") if base else None

    return rule


def named(suffixes: Sequence[str], role: str, kind: str) -> RoleRule:
    def rule(d: Definition) -> Role | None:
        suffix = next((s for s in suffixes if d.name.endswith(s) and d.name != s), None)
        return Role(d.id, role, kind, f"name *{suffix}") if suffix else None

    return rule


def placed(patterns: Sequence[str], role: str, kind: str, types_only: bool = False) -> RoleRule:
    """A package segment, directory or module stem matching one of `patterns`."""

    def rule(d: Definition) -> Role | None:
        if types_only and not d.is_type:
            return None
        hit = next((s for s in d.segments for p in patterns if fnmatch(s, p)), None)
        where = "package" if d.path in d.context.packages else "module"
        return Role(d.id, role, kind, f"{where} {hit}") if hit else None

    return rule


def calling(test: Callable[[Call], bool], role: str, kind: str) -> RoleRule:
    """A function whose body makes a call `test` accepts, e.g. `db.session.get(…)`."""

    def rule(d: Definition) -> Role | None:
        call = next((c for c in d.calls if test(c)), None)
        return Role(d.id, role, kind, f"calls {call.full}()") if call else None

    return rule


ORM_VERBS = words(
    "query add add_all get execute delete merge scalars scalar refresh bulk_save_objects "
    "persist find remove createQuery createNativeQuery getReference"
)
SQL = re.compile(r"^\s*(select|insert|update|delete|with|replace|merge)\s", re.IGNORECASE)
SQL_RUNNERS = re.compile(r"^(execute\w*|exec|query\w*|raw|prepare\w*|update|batchUpdate|run|all)$")


def orm_call(call: Call) -> bool:
    """SQLAlchemy (`db.session.*`, `session.*`, `Model.query.*`), Django
    (`Model.objects.*`), JPA (`entityManager.*`)."""
    receiver = last_name(call.target)
    if receiver in ("session", "entityManager", "em") and call.name in ORM_VERBS:
        return True
    return call.target.endswith(".objects") or (receiver == "query" and call.target[:1].isupper())


def sql_call(call: Call) -> bool:
    """Raw SQL: a cursor's execute, a JdbcTemplate call, a runner given an SQL string."""
    receiver = last_name(call.target).lower()
    if receiver.endswith(("cursor", "cur", "jdbctemplate")) and call.name != "close":
        return True
    literal = strings_in(call.args[0]) if call.args else []
    return bool(SQL_RUNNERS.match(call.name) and literal and SQL.match(literal[0]))


def mybatis_annotation(d: Definition) -> Role | None:
    """@Mapper, unless it is MapStruct's (a bean mapper, not data access)."""
    mapstruct = any(i["module"].startswith("org.mapstruct") for i in d.context.imports(d.path))
    if mapstruct or not any(m.name == "Mapper" for m in d.marks):
        return None
    return Role(d.id, "data_access", "mybatis_mapper", "@Mapper")


def mapper_interface(d: Definition) -> Role | None:
    """An interface that a mapper XML names, or a *Mapper/*Dao interface in a mapper/dao package."""
    if d.symbol["kind"] != "interface":
        return None
    if (d.path, d.symbol["qualname"]) in d.context.namespaces:
        return Role(d.id, "data_access", "mybatis_mapper", "mapper XML namespace")
    package = next((s for s in d.segments if s in ("mapper", "mappers", "dao", "daos")), "")
    suffix = next((s for s in ("Mapper", "Dao", "DAO") if d.name.endswith(s)), "")
    if package and suffix:
        return Role(d.id, "data_access", "mybatis_mapper", f"name *{suffix} in {package}")
    return None


def python_orm_model(d: Definition) -> Role | None:
    base = next((b for b in d.bases if b in d.context.orm_bases), None)
    return Role(d.id, "entity", "orm_model", f"extends {base}") if base else None


def model_dataclass(d: Definition) -> Role | None:
    in_models = any(s in ENTITY_MODULES for s in d.segments)
    if in_models and any(m.name == "dataclass" for m in d.marks):
        return Role(d.id, "entity", "dataclass", "@dataclass in " + d.path)
    return None


ENTITY_PACKAGES = ("model", "models", "entity", "entities", "domain", "dto", "dtos", "vo", "po")
ENTITY_PACKAGES += ("bo", "pojo")
ENTITY_MODULES = frozenset({"models", "entities", "entity", "schemas", "domain", "dto"})
JPA_BASES = ("JpaRepository", "CrudRepository", "PagingAndSortingRepository", "MongoRepository")
JPA_BASES += ("JpaSpecificationExecutor", "ReactiveCrudRepository", "ListCrudRepository")
LISTENERS = ("KafkaListener", "RabbitListener", "JmsListener", "StreamListener", "SqsListener")
ORM_BASES = frozenset({"db.Model", "models.Model", "Model", "SQLModel", "DeclarativeBase"})
ORM_BASES |= {"Document", "peewee.Model", "ormar.Model"}
