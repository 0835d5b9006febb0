"""What a piece of code uses from outside itself: the names it mentions but does not bind
(parameters, assignment and loop targets, `with … as x`…), attribute names after a dot
left out, and apart from them each `obj.member` it reads, so that `mod.x` can be looked up
in the module `mod` names; in languages with qualified paths (Rust's `a::b::C`), each path
whole, and the macros it invokes."""

from __future__ import annotations

import re
import textwrap
from bisect import bisect_right
from dataclasses import dataclass, field

from tree_sitter import Node, QueryCursor

from repomill.code.languages import LANGUAGES, parser, uses_query
from repomill.code.languages.base import LanguageSpec, node_text

_IDENTIFIER = re.compile(rb"[A-Za-z_$][A-Za-z0-9_$]*")
_DOTTED = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*")
MAX_NESTING = 8  # macro arguments read again as code, at most this deep
SELF = "Self"  # the head of a path to a member of the type an `impl` is for


@dataclass(frozen=True)
class Uses:
    names: frozenset[str]  # bare names
    members: frozenset[tuple[str, str]]  # (object as written, e.g. "a.b"; member name)
    paths: frozenset[tuple[str, ...]] = frozenset()  # ("crate", "flags", "LowArgs")
    macros: frozenset[tuple[str, ...]] = frozenset()  # invoked macros: ("format",)
    self_types: frozenset[str] = frozenset()  # types the code's `impl` blocks are for
    fixtures: frozenset[str] = frozenset()  # parameters pytest fills by name (conftest.py)
    made: frozenset[tuple[str, str, str]] = frozenset()  # (x, obj, m) of `x = obj.m(…)`
    typed: frozenset[tuple[str, str]] = frozenset()  # (x, T): the one type written for x
    # (local, member) read from a fixture or a `made` name: resolved through its value's class
    local_members: frozenset[tuple[str, str]] = frozenset()


@dataclass
class _Reading:
    """What one parse of some source binds and reads."""

    bound: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    members: set[tuple[str, str]] = field(default_factory=set)
    paths: set[tuple[str, ...]] = field(default_factory=set)
    macros: set[tuple[str, ...]] = field(default_factory=set)
    self_types: set[str] = field(default_factory=set)
    typed: dict[str, set[tuple[str, ...]]] = field(default_factory=dict)  # name -> its types
    calls: set[tuple[str, str]] = field(default_factory=set)  # (receiver, method): `x.m()`
    fixtures: set[str] = field(default_factory=set)
    made: set[tuple[str, str, str]] = field(default_factory=set)

    def add(self, other: _Reading) -> None:
        self.bound |= other.bound
        self.names |= other.names
        self.members |= other.members
        self.paths |= other.paths
        self.macros |= other.macros
        self.self_types |= other.self_types
        for name, types in other.typed.items():
            self.typed.setdefault(name, set()).update(types)
        self.calls |= other.calls
        self.fixtures |= other.fixtures
        self.made |= other.made


def code_uses(language: str, code: str) -> Uses:
    """The uses of `code`, a fragment of a file in `language` (a unit or a chunk). Names in
    comments count (doc links), and in strings where the language does not label them
    (Python: quoted annotations)."""
    spec = LANGUAGES[language]
    reading = _read(language, spec, textwrap.dedent(code).encode("utf-8"), 0)
    local = reading.bound | spec.keywords  # `self`, `this`
    free = {(obj, member) for obj, member in reading.members if obj.split(".")[0] not in local}
    for obj, member in reading.members:  # `ctx.invoke` of `ctx: Context` (or `= Context()`)
        written = _one_type(reading, obj)
        if written is not None and len(written) == 1 and written[0] not in local:
            free.add((written[0], member))
    # `T::default()` of a generic T; a local (lowercase) is never the head of a path
    paths = {p for p in reading.paths if p[0] not in reading.bound or p[0][:1].islower()}
    for receiver, method in reading.calls:  # of a binding whose one type is written
        written = _one_type(reading, receiver)
        if written is not None and written[0] not in reading.bound:
            paths.add((*written, method))
    valued = reading.fixtures | {name for name, _, _ in reading.made}
    local_members = {(obj, member) for obj, member in reading.members if obj in valued}
    written = {name: _one_type(reading, name) for name in reading.typed}
    typed = {(name, types[0]) for name, types in written.items() if types and len(types) == 1}
    return Uses(frozenset(reading.names - local), frozenset(free), frozenset(paths),
                frozenset(reading.macros), frozenset(reading.self_types),
                fixtures=frozenset(reading.fixtures), made=frozenset(reading.made),
                typed=frozenset(typed), local_members=frozenset(local_members))  # fmt: skip


def _one_type(reading: _Reading, name: str) -> tuple[str, ...] | None:
    """The type written for a binding, if it has exactly one."""
    types = reading.typed.get(name, ())
    return next(iter(types)) if len(types) == 1 else None


def _read(language: str, spec: LanguageSpec, source: bytes, depth: int,
          root: Node | None = None) -> _Reading:  # fmt: skip
    query = uses_query(language)
    reading = _Reading()
    spans: list[tuple[int, int]] = []  # where names are no references
    if query is not None:
        root = root or parser(language).parse(source).root_node
        for _, captures in QueryCursor(query).matches(root):
            if root.has_error and any(_in_error(n) for ns in captures.values() for n in ns):
                continue  # a fragment that does not parse: its names count as written
            _capture(language, spec, captures, reading, spans, depth)
    spans = _merged(spans)
    starts = [start for start, _ in spans]
    reading.names |= {
        m.group().decode("utf-8")
        for m in _IDENTIFIER.finditer(source)
        if not _inside(spans, starts, m.start())
    }
    return reading


def _capture(language: str, spec: LanguageSpec, captures: dict[str, list[Node]],
             reading: _Reading, spans: list[tuple[int, int]], depth: int) -> None:  # fmt: skip
    reading.bound.update(node_text(n) for n in captures.get("bound", ()))
    reading.fixtures.update(node_text(n) for n in captures.get("fixture", ()))
    made = zip(captures.get("made_name", ()), captures.get("made_object", ()),
               captures.get("made_method", ()), strict=True)  # fmt: skip
    reading.made.update((node_text(x), node_text(obj), node_text(m)) for x, obj, m in made)
    spans.extend((n.start_byte, n.end_byte) for n in captures.get("label", ()))
    pairs = zip(captures.get("object", ()), captures.get("member", ()), strict=True)
    for obj, member in pairs:
        spans.append((member.start_byte, member.end_byte))
        if _DOTTED.fullmatch(written := node_text(obj)):
            reading.members.add((written, node_text(member)))
    for kind, into in (("path", reading.paths), ("macro", reading.macros)):
        for node in captures.get(kind, ()):
            for segments, nodes in spec.paths_of(node):
                into.add(segments)
                spans.extend((n.start_byte, n.end_byte) for n in nodes)
    for node in captures.get("self_member", ()):  # `self.m()`: the impl's type's m
        reading.paths.add((SELF, node_text(node)))
        spans.append((node.start_byte, node.end_byte))
    pairs = zip(captures.get("typed_name", ()), captures.get("typed_type", ()), strict=True)
    for name, written in pairs:
        types = reading.typed.setdefault(node_text(name), set())
        found = [segments for segments, _ in spec.paths_of(written)]
        if not found and written.type in ("identifier", "type_identifier"):  # a bare type name
            found = [(node_text(written),)]
        types.update(found)
    pairs = zip(captures.get("receiver", ()), captures.get("method", ()), strict=True)
    reading.calls.update((node_text(obj), node_text(method)) for obj, method in pairs)
    for node in captures.get("self", ()):
        reading.self_types.update(segments[-1] for segments, _ in spec.paths_of(node))
    for node in captures.get("tokens", ()) if depth < MAX_NESTING else ():
        for source in spec.reparse(node):  # macro arguments that read as code
            root = parser(language).parse(source).root_node
            if not root.has_error:
                reading.add(_read(language, spec, source, depth + 1, root))
                spans.append((node.start_byte, node.end_byte))
                break


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted spans with overlapping ones joined (a label inside a macro's arguments)."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _inside(spans: list[tuple[int, int]], starts: list[int], offset: int) -> bool:
    at = bisect_right(starts, offset) - 1
    return at >= 0 and offset < spans[at][1]


def _in_error(node: Node | None) -> bool:
    """Whether error recovery made the node up (a unit of changed lines is often only part
    of a statement; recovery may read a call's name as an object key)."""
    while node is not None:
        if node.is_error:
            return True
        node = node.parent
    return False
