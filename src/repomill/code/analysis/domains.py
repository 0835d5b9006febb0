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
STEM_WEIGHT = 2.0  # files named alike across layers (OrderController, OrderMapper…)
# Below Louvain's default of 1, communities are larger: a controller and its service
# interface stay with the implementation and mapper they call (checked on the fixtures
# and on macrozheng/mall, where 1.0 split domains by layer).
RESOLUTION = 0.7
HUB_SHARE, HUB_MIN_DEGREE = 0.05, 10  # a file linked to more is a hub
ENTITY_WEIGHT = 3  # a word of an entity's name counts this many times a file name's
LAYER_WORDS = frozenset({  # words of names that say a layer, not a domain
    "controller", "controllers", "service", "services", "impl", "mapper", "mappers", "dao",
    "repository", "repositories", "model", "models", "entity", "entities", "dto", "vo", "po",
    "param", "params", "query", "result", "example", "config", "util", "utils", "helper",
    "helpers", "handler", "handlers", "test", "tests", "api", "rest", "view", "views",
    "routes", "route", "cli", "main", "app", "base", "abstract", "default", "common", "core",
    "manager", "interface", "client", "server", "init", "db", "errors", "error", "exception",
    "exceptions", "status", "type", "types", "constants", "enum", "enums", "info", "criteria",
    "criterion", "generated",
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
    whole = g.copy()
    _drop_hubs(g)
    for group in _by_key(files, _stem).values():  # the seed: one name across the layers
        for a, b in zip(group, group[1:], strict=False):
            _link(g, a, b, STEM_WEIGHT)
    for group in _by_key(files, posixpath.dirname).values():
        for a, b in zip(group, group[1:], strict=False):
            _link(g, a, b, SAME_DIRECTORY_WEIGHT)
    found = nx.community.louvain_communities(g, weight="weight", seed=0, resolution=RESOLUTION)
    return _adopt_singletons([sorted(c) for c in found], whole)


def _stem(path: str) -> str:
    """A file's name less its layer words: OmsOrderServiceImpl.java -> omsorder."""
    return "".join(_name_words(posixpath.splitext(posixpath.basename(path))[0]))


def _by_key(files: list[str], key) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for path in files:
        groups.setdefault(key(path), []).append(path)
    return groups


def _adopt_singletons(clusters: list[list[str]], whole: nx.Graph) -> list[list[str]]:
    """A file left alone (all its links were to hubs) joins the cluster it links to most
    in the whole graph; one with no links at all stays on its own."""
    home = {path: i for i, cluster in enumerate(clusters) for path in cluster if len(cluster) > 1}
    for cluster in clusters:
        if len(cluster) == 1 and (path := cluster[0]) not in home:
            votes = Counter(home[n] for n in whole.neighbors(path) if n in home)
            if votes:
                target = min(votes, key=lambda i: (-votes[i], i))
                clusters[target].append(path)
                cluster.clear()
    return sorted((sorted(c) for c in clusters if c), key=lambda c: c[0])


def _drop_hubs(g: nx.Graph) -> None:
    """Cut the edges of files that a large share of the repository uses (a result
    wrapper, a base class, a utility): they say nothing of domains, and through them
    Louvain would join everything into one."""
    limit = max(HUB_MIN_DEGREE, HUB_SHARE * g.number_of_nodes())
    for hub in [n for n, degree in g.degree() if degree > limit]:
        g.remove_edges_from(list(g.edges(hub)))


def _link(g: nx.Graph, a: str, b: str, weight: float) -> None:
    if a == b or a not in g or b not in g:
        return
    g.add_edge(a, b, weight=g.get_edge_data(a, b, {"weight": 0.0})["weight"] + weight)


def _domain(files: list[str], nodes, roles, taken: set[str]) -> Domain:
    inside = set(files)
    members = sorted(n for n, node in nodes.items() if node.path in inside)

    def having(*wanted: str) -> tuple[str, ...]:
        return tuple(n for n in members if n in roles and roles[n].role in wanted)

    entity_names = [nodes[n].name for n in having("entity") if nodes[n].kind != "method"]
    name = _name(files, entity_names, taken)
    return Domain(name, tuple(files), having("entry_point"), having("service"),
                  having("entity"), having("data_access"))  # fmt: skip


def _name_words(name: str) -> list[str]:
    return [w.lower() for w in _WORDS.findall(name) if w.lower() not in LAYER_WORDS]


def _name(files: list[str], entity_names: list[str], taken: set[str]) -> str:
    """The most common non-layer words of the file and entity names (an entity's weigh
    more: a domain is named for what it keeps), unique among domains."""
    words = Counter()
    for path in files:
        words.update(_name_words(posixpath.splitext(posixpath.basename(path))[0]))
    for name in entity_names:
        for word in _name_words(name):
            words[word] += ENTITY_WEIGHT
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
