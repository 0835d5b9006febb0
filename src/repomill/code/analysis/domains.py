"""The domain map: the repository's files clustered into business domains by how they use
each other — resolved imports and calls, with a light pull between files of one directory
— by Louvain community detection (networkx, fixed seed: the same map every run). A domain
is named by the words its class and file names share most, less layer words (Controller,
Service, Mapper…), and lists its entry points, services, entities and data access."""

from __future__ import annotations

import posixpath
import re
from collections import Counter
from dataclasses import dataclass

import networkx as nx

from repomill.code.analysis.model import CallGraph, Node, Role

SAME_DIRECTORY_WEIGHT = 0.2  # calls and imports weigh 1 each
LAYER_WORDS = frozenset({  # words of names that say a layer, not a domain
    "controller", "controllers", "service", "services", "impl", "mapper", "mappers", "dao",
    "repository", "repositories", "model", "models", "entity", "entities", "dto", "vo", "po",
    "param", "params", "query", "result", "example", "config", "util", "utils", "helper",
    "helpers", "handler", "handlers", "test", "tests", "api", "rest", "view", "views",
    "routes", "route", "cli", "main", "app", "base", "abstract", "default", "common", "core",
    "manager", "interface", "client", "server",
})  # fmt: skip
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


@dataclass(frozen=True)
class Domain:
    name: str
    files: tuple[str, ...]
    entry_points: tuple[str, ...]  # node ids, by role
    services: tuple[str, ...]
    entities: tuple[str, ...]
    data_access: tuple[str, ...]

    def to_json(self) -> dict:
        return {"name": self.name, "files": list(self.files),
                "entry_points": list(self.entry_points), "services": list(self.services),
                "entities": list(self.entities), "data_access": list(self.data_access)}  # fmt: skip


def domain_map(nodes: dict[str, Node], graph: CallGraph, roles: dict[str, Role],
               imports: dict[str, list[str]]) -> list[Domain]:  # fmt: skip
    """`imports`: path -> the repository files it imports. Tests and config stay out."""
    skip = {nodes[n].path for n, r in roles.items() if r.role in ("test", "config")}
    files = sorted({n.path for n in nodes.values()} - skip)
    clusters = _clusters(files, nodes, graph, imports)
    taken: set[str] = set()
    domains = [_domain(cluster, nodes, roles, taken) for cluster in clusters]
    return sorted(domains, key=lambda d: d.name)


def _clusters(files, nodes, graph, imports) -> list[list[str]]:
    g = nx.Graph()
    g.add_nodes_from(files)
    for path in files:
        for target in imports.get(path, ()):
            _link(g, path, target, 1.0)
    for edge in graph.edges:
        _link(g, nodes[edge.caller].path, nodes[edge.callee].path, 1.0)
    by_directory: dict[str, list[str]] = {}
    for path in files:
        by_directory.setdefault(posixpath.dirname(path), []).append(path)
    for group in by_directory.values():
        for a, b in zip(group, group[1:], strict=False):
            _link(g, a, b, SAME_DIRECTORY_WEIGHT)
    found = nx.community.louvain_communities(g, weight="weight", seed=0)
    return sorted((sorted(c) for c in found), key=lambda c: c[0])


def _link(g: nx.Graph, a: str, b: str, weight: float) -> None:
    if a == b or a not in g or b not in g:
        return
    g.add_edge(a, b, weight=g.get_edge_data(a, b, {"weight": 0.0})["weight"] + weight)


def _domain(files: list[str], nodes, roles, taken: set[str]) -> Domain:
    inside = set(files)
    members = sorted(n for n, node in nodes.items() if node.path in inside)

    def having(*wanted: str) -> tuple[str, ...]:
        return tuple(n for n in members if n in roles and roles[n].role in wanted)

    name = _name(files, taken)
    return Domain(name, tuple(files), having("entry_point"), having("service"),
                  having("entity"), having("data_access"))  # fmt: skip


def _name(files: list[str], taken: set[str]) -> str:
    """The most common non-layer words of the file names, unique among domains."""
    words = Counter()
    for path in files:
        stem = posixpath.splitext(posixpath.basename(path))[0]
        words.update(w.lower() for w in _WORDS.findall(stem) if w.lower() not in LAYER_WORDS)
    ranked = [w for w, _ in sorted(words.items(), key=lambda item: (-item[1], item[0]))]
    if not ranked:
        ranked = [posixpath.basename(posixpath.dirname(files[0])) or "root"]
    name = ranked[0]
    for word in ranked[1:]:
        if name not in taken:
            break
        name = f"{ranked[0]}-{word}"
    suffix = 2
    base = name
    while name in taken:
        name, suffix = f"{base}-{suffix}", suffix + 1
    taken.add(name)
    return name
