"""What a piece of code uses from outside itself: the names it mentions but does not bind
(parameters, assignment and loop targets, `with … as x`…), attribute names after a dot
left out, and apart from them each `obj.member` it reads, so that `mod.x` can be looked up
in the module `mod` names."""

from __future__ import annotations

import re
import textwrap
from bisect import bisect_right
from dataclasses import dataclass

from tree_sitter import Node, QueryCursor

from repomill.code.languages import LANGUAGES, parser, uses_query
from repomill.code.languages.base import node_text

_IDENTIFIER = re.compile(rb"[A-Za-z_$][A-Za-z0-9_$]*")
_DOTTED = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*")


@dataclass(frozen=True)
class Uses:
    names: frozenset[str]  # bare names
    members: frozenset[tuple[str, str]]  # (object as written, e.g. "a.b"; member name)


def code_uses(language: str, code: str) -> Uses:
    """The uses of `code`, a fragment of a file in `language` (a unit or a chunk). Names in
    comments count (doc links), and in strings where the language does not label them
    (Python: quoted annotations)."""
    spec = LANGUAGES[language]
    source = textwrap.dedent(code).encode("utf-8")
    query = uses_query(language)
    bound: set[str] = set()
    spans: list[tuple[int, int]] = []  # where names are no references (they do not nest)
    members: set[tuple[str, str]] = set()
    if query is not None:
        root = parser(language).parse(source).root_node
        for _, captures in QueryCursor(query).matches(root):
            if root.has_error and any(_in_error(n) for ns in captures.values() for n in ns):
                continue  # a fragment that does not parse: its names count as written
            bound.update(node_text(n) for n in captures.get("bound", ()))
            spans.extend((n.start_byte, n.end_byte) for n in captures.get("label", ()))
            pairs = zip(captures.get("object", ()), captures.get("member", ()), strict=True)
            for obj, member in pairs:
                spans.append((member.start_byte, member.end_byte))
                if _DOTTED.fullmatch(written := node_text(obj)):
                    members.add((written, node_text(member)))
    spans.sort()
    starts = [start for start, _ in spans]
    names = {
        m.group().decode("utf-8")
        for m in _IDENTIFIER.finditer(source)
        if not _inside(spans, starts, m.start())
    }
    local = bound | spec.keywords  # `self`, `this`
    free = {(obj, member) for obj, member in members if obj.split(".")[0] not in local}
    return Uses(frozenset(names - local), frozenset(free))


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
