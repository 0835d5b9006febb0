"""Split a file into chunks: whole definitions where they fit, and otherwise pieces cut at
child-node boundaries (never inside a statement), each with a one-line header naming the
scope it came from. Text between definitions forms module/class remainder chunks. Every
chunk is a verbatim slice of the file."""

from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Node

from repomill.code.definitions import Definition

_TRIVIAL = frozenset(b"{}();,[] \t\r\n")


@dataclass
class Piece:
    start: int
    end: int
    kind: str
    symbol: str
    header: str
    part: int = 0  # 0: a whole unit; 1..n: the n-th piece of a unit too large for one chunk


@dataclass
class _Segment:
    start: int
    end: int
    definition: Definition | None = None
    node: Node | None = None  # a plain node that may be split further when too large


MODULE = "<module>"


def chunk_file(source: bytes, root: Node, definitions: list[Definition], limit: int) -> list[Piece]:
    chunker = _Chunker(source, limit)
    segments = chunker.segments(root, definitions)
    chunker.emit_scope(segments, kind="module", symbol=MODULE, header="")
    return chunker.pieces


class _Chunker:
    def __init__(self, source: bytes, limit: int):
        self.source = source
        self.limit = limit
        self.pieces: list[Piece] = []

    def segments(self, scope: Node, definitions: list[Definition]) -> list[_Segment]:
        """The scope's members in order: definitions, and the plain nodes between them."""
        result: list[_Segment] = []
        pending = list(reversed(definitions))

        def visit(children: list[Node]) -> None:
            for child in children:
                while pending and pending[-1].end_byte <= child.start_byte:
                    d = pending.pop()
                    result.append(_Segment(d.start_byte, d.end_byte, definition=d))
                if pending and pending[-1].start_byte <= child.start_byte < pending[-1].end_byte:
                    continue  # part of a definition (its node, wrapper or doc comment)
                if pending and child.start_byte < pending[-1].start_byte < child.end_byte:
                    visit(child.named_children)  # a node holding definitions (`export`, …)
                    continue
                result.append(_Segment(child.start_byte, child.end_byte, node=child))

        visit(scope.named_children)
        result.extend(_Segment(d.start_byte, d.end_byte, definition=d) for d in reversed(pending))
        return result

    def emit_scope(self, segments: list[_Segment], kind: str, symbol: str, header: str) -> int:
        """Emit definitions as units and group runs of plain segments; return pieces added."""
        before = len(self.pieces)
        run: list[_Segment] = []
        for segment in segments:
            if segment.definition is None:
                run.append(segment)
                continue
            self._emit_run(run, kind, symbol, header)
            run = []
            self.emit_unit(segment.definition, header)
        self._emit_run(run, kind, symbol, header)
        return len(self.pieces) - before

    def emit_unit(self, definition: Definition, header: str) -> None:
        if definition.end_byte - definition.start_byte <= self.limit:
            self._add(definition.start_byte, definition.end_byte, definition.kind,
                      definition.qualname, header)  # fmt: skip
            return
        own_header = definition.signature().split("\n", 1)[0].strip()
        body = definition.body or definition.node.child_by_field_name("body")
        scope = body if body is not None and body.named_child_count else definition.node
        inner = self.segments(scope, definition.children)
        if not inner:
            self._add(definition.start_byte, definition.end_byte, definition.kind,
                      definition.qualname, header)  # fmt: skip
            return
        # The unit's own text before and after its members (signature, braces) rides
        # along with the first and last plain runs.
        inner.insert(0, _Segment(definition.start_byte, inner[0].start))
        inner.append(_Segment(inner[-1].end, definition.end_byte))
        first = len(self.pieces)
        self.emit_scope(inner, definition.kind, definition.qualname, own_header)
        parts = [p for p in self.pieces[first:] if p.symbol == definition.qualname]
        for number, piece in enumerate(parts, start=1):
            piece.part = number

    def _emit_run(self, run: list[_Segment], kind: str, symbol: str, header: str) -> None:
        """Greedily pack consecutive plain segments into pieces within the limit; a single
        segment over the limit is split along its own children, if it has any."""
        start = end = None
        for segment in run:
            splittable = (
                segment.end - segment.start > self.limit
                and segment.node is not None
                and segment.node.named_child_count > 1
            )
            if start is not None and (splittable or segment.end - start > self.limit):
                self._add(start, end, kind, symbol, header)
                start = None
            if splittable:
                children = [_Segment(c.start_byte, c.end_byte, node=c)
                            for c in segment.node.named_children]  # fmt: skip
                children[0].start = segment.start
                children[-1].end = segment.end
                self._emit_run(children, kind, symbol, header)
                continue
            if start is None:
                start = segment.start
            end = segment.end
        if start is not None:
            self._add(start, end, kind, symbol, header)

    def _add(self, start: int, end: int, kind: str, symbol: str, header: str) -> None:
        source = self.source
        while start < end and source[start] in b" \t\r\n":
            start += 1
        while end > start and source[end - 1] in b" \t\r\n":
            end -= 1
        if start >= end or all(byte in _TRIVIAL for byte in source[start:end]):
            return
        self.pieces.append(Piece(start, end, kind, symbol, header))
