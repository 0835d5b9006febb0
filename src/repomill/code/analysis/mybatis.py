"""MyBatis-style SQL statements: the <select|insert|update|delete> elements of mapper XML
files (any *.xml whose root is <mapper namespace=…>), with exact lines, and the
@Select/@Insert/@Update/@Delete annotations of mapper methods; each linked to the mapper
interface method it implements (namespace = package + interface name, id = method)."""

from __future__ import annotations

from collections import Counter
from typing import Any
from xml.parsers import expat

from repomill.code.analysis.model import Read, Statement, node_id
from repomill.code.analysis.syntax import Sources, lines, marks_of, strings_in
from repomill.code.languages.base import TYPE_KINDS

KINDS = ("select", "insert", "update", "delete")
ANNOTATIONS = {"Select": "select", "Insert": "insert", "Update": "update", "Delete": "delete"}
MAX_XML_BYTES = 4_000_000


def mapper_statements(
    paths: list[str], read: Read, index: Any
) -> tuple[list[Statement], Counter[str]]:
    """Every statement of the mapper XML files among `paths` and of annotated mapper
    methods, and why files or statements were left out. The counter's reasons:
    unreadable, too_large, malformed_xml, entity_declaration, not_a_mapper, no_namespace,
    statement_without_id; and unlinked_statement for kept statements that found no
    interface method (their `method` is "")."""
    types = java_types(index)
    statements: list[Statement] = []
    reasons: Counter[str] = Counter()
    for path in sorted(p for p in paths if p.lower().endswith(".xml")):
        try:
            data = read(path)
        except (OSError, KeyError):
            reasons["unreadable"] += 1
            continue
        if b"<mapper" not in data:
            continue  # not a mapper file: nothing to count
        if len(data) > MAX_XML_BYTES:
            reasons["too_large"] += 1
            continue
        statements += _xml_statements(path, data, index, types, reasons)
    statements += annotated_statements(index, read, types)
    for statement in statements:
        reasons["unlinked_statement"] += not statement.method
    return statements, +reasons


def java_types(index: Any) -> dict[str, tuple[str, str]]:
    """Fully-qualified name -> (path, qualname) of every Java type of the index."""
    packages = {
        path: raw["module"]
        for path, raws in index.imports.items()
        for raw in raws
        if raw.get("alias") == "package"
    }
    found = {}
    for symbol in index.symbols:
        if symbol["language"] == "java" and symbol["kind"] in TYPE_KINDS:
            package = packages.get(symbol["path"], "")
            fqn = f"{package}.{symbol['qualname']}" if package else symbol["qualname"]
            found.setdefault(fqn, (symbol["path"], symbol["qualname"]))
    return found


def method_node(index: Any, owner: tuple[str, str] | None, name: str) -> str:
    """The node id of method `name` of the type `owner` (path, qualname), or ""."""
    if owner is None:
        return ""
    members = index.members_of(*owner)
    return next((node_id(s["path"], s["qualname"]) for s in members if s["name"] == name), "")


def _xml_statements(
    path: str, data: bytes, index: Any, types: dict, reasons: Counter[str]
) -> list[Statement]:
    scan = _MapperScan()
    try:
        scan.parse(data)
    except _EntityDeclared:
        reasons["entity_declaration"] += 1
        return []
    except (expat.ExpatError, ValueError):
        reasons["malformed_xml"] += 1
        return []
    if scan.root != "mapper":
        reasons["not_a_mapper"] += 1
        return []
    if not scan.namespace:
        reasons["no_namespace"] += 1
        return []
    reasons["statement_without_id"] += scan.without_id
    owner = types.get(scan.namespace)
    return [
        Statement(
            id=f"{path}::{scan.namespace}.{sid}",
            path=path,
            namespace=scan.namespace,
            statement_id=sid,
            kind=kind,
            start_line=start,
            end_line=end,
            sql=scan.sql(pieces),
            method=method_node(index, owner, sid),
        )
        for kind, sid, start, end, pieces in scan.found
    ]


class _EntityDeclared(Exception):
    pass


class _MapperScan:
    """One pass of expat over a mapper file: the root, its namespace, each top-level
    statement's kind, id, lines and text pieces (<include refid> as a reference), and the
    <sql id> fragments the includes name."""

    def __init__(self) -> None:
        self.root, self.namespace, self.without_id = "", "", 0
        self.found: list[tuple[str, str, int, int, list]] = []
        self.fragments: dict[str, list] = {}
        self._depth = 0
        self._open: tuple[str, str, int, list] | None = None

    def parse(self, data: bytes) -> None:
        self._parser = expat.ParserCreate()
        self._parser.StartElementHandler = self._start
        self._parser.EndElementHandler = self._end
        self._parser.CharacterDataHandler = self._characters
        self._parser.EntityDeclHandler = self._entity  # refused, as defusedxml does
        self._parser.Parse(data, True)

    def _start(self, tag: str, attrs: dict[str, str]) -> None:
        self._depth += 1
        line = self._parser.CurrentLineNumber
        if self._depth == 1:
            self.root, self.namespace = tag, attrs.get("namespace", "").strip()
        elif self._depth == 2 and (tag in KINDS or tag == "sql"):
            self._open = (tag, attrs.get("id", "").strip(), line, [])
        elif self._open is not None and tag == "include":
            self._open[3].append(("include", attrs.get("refid", "")))

    def _end(self, tag: str) -> None:
        if self._depth == 2 and self._open is not None:
            kind, sid, start, pieces = self._open
            if kind == "sql":
                self.fragments[sid] = pieces
            elif sid:
                self.found.append((kind, sid, start, self._parser.CurrentLineNumber, pieces))
            else:
                self.without_id += 1
            self._open = None
        self._depth -= 1

    def _characters(self, data: str) -> None:
        if self._open is not None:
            self._open[3].append(data)

    def _entity(self, *_: object) -> None:
        raise _EntityDeclared

    def sql(self, pieces: list, depth: int = 0) -> str:
        """A statement's text, whitespace collapsed, <include>s of this file's fragments
        filled in (a few levels deep)."""
        out = []
        for piece in pieces:
            if isinstance(piece, str):
                out.append(piece)
            elif depth < 4 and piece[1].rpartition(".")[2] in self.fragments:
                out.append(self.sql(self.fragments[piece[1].rpartition(".")[2]], depth + 1))
        return " ".join(" ".join(out).split())


def annotated_statements(index: Any, read: Read, types: dict | None = None) -> list[Statement]:
    """Statements written as @Select/@Insert/@Update/@Delete on Java mapper methods, at
    the annotation's lines."""
    types = java_types(index) if types is None else types
    fqns = {owner: fqn for fqn, owner in types.items()}
    sources = Sources(index, read)
    found = []
    for symbol in index.symbols:
        if symbol["language"] != "java" or "@" not in symbol["signature"]:
            continue
        for mark in marks_of(sources.definition(symbol)):
            if mark.name not in ANNOTATIONS or not mark.args:
                continue
            namespace = fqns.get((symbol["path"], symbol["parent"]), symbol["parent"])
            start, end = lines(mark.node)
            found.append(
                Statement(
                    id=f"{symbol['path']}::{namespace}.{symbol['name']}",
                    path=symbol["path"],
                    namespace=namespace,
                    statement_id=symbol["name"],
                    kind=ANNOTATIONS[mark.name],
                    start_line=start,
                    end_line=end,
                    sql=" ".join(" ".join(strings_in(mark.args[0])).split()),
                    method=node_id(symbol["path"], symbol["qualname"]),
                )
            )
    return found
