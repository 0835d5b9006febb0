"""The analysis's nodes: one per definition of the index, by `path::qualname`."""

from __future__ import annotations

from repomill.code.analysis.model import Node, node_id
from repomill.code.repo_index import RepoIndex


def nodes_of(index: RepoIndex) -> dict[str, Node]:
    """Every definition of `index` as a Node, by id. Overloads (Java methods of one name)
    share their `path::qualname` id: the node is the first of them in the file."""
    nodes: dict[str, Node] = {}
    for symbol in sorted(index.symbols, key=lambda s: (s["path"], s["start_line"])):
        ident = node_id(symbol["path"], symbol["qualname"])
        if ident in nodes:
            continue
        nodes[ident] = Node(
            id=ident,
            path=symbol["path"],
            qualname=symbol["qualname"],
            name=symbol["name"],
            kind=symbol["kind"],
            language=index.language[symbol["path"]],
            start_line=symbol["start_line"],
            end_line=symbol["end_line"],
            chunk_id=symbol["chunk_id"],
            parent=symbol["parent"],
        )
    return dict(sorted(nodes.items()))
