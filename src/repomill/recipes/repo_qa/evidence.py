"""A question's evidence, as the sample shows it and as it is checked: each definition the
answer rests on becomes `{chunk_id, path, start_line, end_line}` of the smallest index
chunk covering it (a MyBatis statement, which the index does not chunk, gets a chunk of
its own: the statement's lines, with a content id like every chunk's), its exact lines
at the commit as the snippet, and one check per sample: the evidence is true at the
commit and every identifier the question and answer name is defined there."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from repomill.code.analysis.model import Node, Read, Statement
from repomill.code.ids import chunk_id
from repomill.code.repo_index import RepoIndex
from repomill.recipes.repo_qa.exact import QA
from repomill.verify.citations import Problem
from repomill.verify.evidence import check_evidence, snippet
from repomill.verify.identifiers import check_identifiers, known_identifiers


class EvidenceBook:
    def __init__(self, index: RepoIndex, read: Read, nodes: dict[str, Node],
                 statements: list[Statement]):  # fmt: skip
        self.read = read
        self.nodes = nodes
        self.chunks: dict[str, dict[str, Any]] = {c["chunk_id"]: c for c in index.chunks}
        self._by_path: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for chunk in index.chunks:
            self._by_path[chunk["path"]].append(chunk)
        self.statements = {s.id: self._statement_chunk(s) for s in statements}
        self.known = known_identifiers(index, [s.sql for s in statements])
        self._entries: dict[str, dict[str, Any]] = {}

    def _statement_chunk(self, statement: Statement) -> dict[str, Any]:
        name = f"{statement.namespace}.{statement.statement_id}"
        text = snippet(self.read, statement.path, statement.start_line, statement.end_line)
        chunk = {"chunk_id": chunk_id(statement.path, name, text), "path": statement.path,
                 "start_line": statement.start_line, "end_line": statement.end_line}  # fmt: skip
        self.chunks[chunk["chunk_id"]] = chunk
        return chunk

    def entry(self, ref: str) -> dict[str, Any]:
        """The evidence entry of a node or statement id."""
        if ref not in self._entries:
            self._entries[ref] = self._entry(ref)
        return self._entries[ref]

    def _entry(self, ref: str) -> dict[str, Any]:
        if ref in self.statements:
            chunk = self.statements[ref]
            return {k: chunk[k] for k in ("chunk_id", "path", "start_line", "end_line")}
        node = self.nodes[ref]
        covering = [c for c in self._by_path[node.path]
                    if c["start_line"] <= node.start_line <= c["end_line"]]  # fmt: skip
        whole = [c for c in covering if node.end_line <= c["end_line"]]
        # a definition split over several chunks is cited by the part it starts in
        chunk = min(whole or covering, key=lambda c: c["end_line"] - c["start_line"])
        return {"chunk_id": chunk["chunk_id"], "path": node.path, "start_line": node.start_line,
                "end_line": min(node.end_line, chunk["end_line"])}  # fmt: skip

    def snippets(self, qa: QA) -> list[dict[str, Any]]:
        return self.snippets_of(qa.evidence)

    def snippets_of(self, refs: list[str]) -> list[dict[str, Any]]:
        entries = [self.entry(ref) for ref in dict.fromkeys(refs)]
        return [{**e, "text": snippet(self.read, e["path"], e["start_line"], e["end_line"])}
                for e in entries]  # fmt: skip

    def trace(self, qa: QA) -> list[dict[str, str]]:
        return [{"step": step["step"], "cites": self.entry(step["cites"])["chunk_id"]}
                for step in qa.trace]  # fmt: skip

    def problem(self, qa: QA, declared_new: set[str] = frozenset()) -> Problem | None:
        """Why the sample of `qa` cannot be kept, or None (`declared_new`: names a design
        adds, which need not exist)."""
        try:
            shown = self.snippets(qa)
        except ValueError as error:  # lines the blob does not have, or not UTF-8
            return Problem("unreadable_evidence", str(error))
        evidence = [{k: s[k] for k in ("chunk_id", "path", "start_line", "end_line")}
                    for s in shown]  # fmt: skip
        texts = {f"{s['chunk_id']}:{s['start_line']}-{s['end_line']}": s["text"] for s in shown}
        return check_evidence(evidence, self.chunks, self.read, texts) or check_identifiers(
            qa.question + "\n\n" + qa.answer, self.known, declared_new
        )
