"""What every language's call resolution shares: the repository's files parsed once,
with their definitions, and the tally of call sites (`Sites`) that becomes a CallGraph."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field

from tree_sitter import Node as TSNode

from repomill.code.analysis.model import CallEdge, CallGraph, Read, node_id
from repomill.code.definitions import Definition, find_definitions, walk
from repomill.code.languages import LANGUAGES, parser
from repomill.code.languages.base import node_text
from repomill.code.repo_index import RepoIndex

# Why a call site found no callee (CallGraph.unresolved's keys).
UNKNOWN_RECEIVER = "unknown_receiver"  # the receiver's type is not known
EXTERNAL = "external"  # the callee is outside the repository (a library, the runtime)
AMBIGUOUS = "ambiguous"  # several definitions fit (overloads, same-named types)
NOT_FOUND = "not_found"  # the receiver is known, no definition of that name is
GENERATED = "generated"  # Java: a member Lombok generates (@Data, @Getter, @Builder…)

# A call site's resolution: (callee node id, via) pairs, or the reason there are none.
Resolution = list[tuple[str, str]] | str

text = node_text


@dataclass
class ParsedFile:
    path: str
    language: str
    source: bytes
    root: TSNode
    definitions: list[Definition]  # all of them, depth first in source order

    def id_of(self, definition: Definition) -> str:
        return node_id(self.path, definition.qualname)


def parse_files(index: RepoIndex, read: Read, languages: Collection[str]) -> list[ParsedFile]:
    """Each indexed file of those languages, parsed once, in path order."""
    parsed = []
    for record in sorted(index.files, key=lambda r: r["path"]):
        path, language = record["path"], record["language"]
        if language not in languages:
            continue
        source = read(path)
        root = parser(language).parse(source).root_node
        definitions = list(walk(find_definitions(root, LANGUAGES[language])))
        parsed.append(ParsedFile(path, language, source, root, definitions))
    return parsed


def descendants(node: TSNode, types: frozenset[str]):
    """The nodes of those types under `node` (itself included), in source order."""
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type in types:
            yield current
        stack.extend(reversed(current.children))


@dataclass
class Sites:
    """Call sites as they are resolved: the edges found, the misses counted by reason.
    Only calls between `nodes` count (every edge's ends are nodes)."""

    nodes: Collection[str]
    found: list[tuple[str, int, int, str, str]] = field(default_factory=list)
    calls: int = 0
    unresolved: Counter[str] = field(default_factory=Counter)

    def add(self, caller: str, position: TSNode, resolution: Resolution) -> None:
        """One call site of `caller`, at `position` (the callee's name in the call)."""
        if caller not in self.nodes:
            return
        self.calls += 1
        if not isinstance(resolution, str):
            resolution = [(callee, via) for callee, via in resolution if callee in self.nodes]
        if not resolution or isinstance(resolution, str):
            self.unresolved[resolution or NOT_FOUND] += 1
            return
        line, column = position.start_point.row + 1, position.start_point.column
        for callee, via in dict.fromkeys(resolution):
            self.found.append((caller, line, column, callee, via))

    def graph(self) -> CallGraph:
        """Edges by caller, then call-site position (so in call order), then callee."""
        edges = (
            CallEdge(caller, callee, line, via)
            for caller, line, _, callee, via in sorted(self.found)
        )
        unique = list(dict.fromkeys(edges))  # two calls of one callee on one line: one edge
        return CallGraph(edges=unique, calls=self.calls, unresolved=Counter(self.unresolved))
