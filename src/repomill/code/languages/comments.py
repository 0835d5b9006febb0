"""Doc comments of C-family languages: the comment block right above a definition."""

from __future__ import annotations

import re

from tree_sitter import Node

from repomill.code.languages.base import node_text

_DECORATION = re.compile(r"^\s*(/\*\*?|\*/|\*(?!/)|///?!?|//!)\s?")
_CLOSING = re.compile(r"\s*\*/\s*$")


def leading_comment(node: Node, comment_types: frozenset[str]) -> str:
    """The contiguous comments ending on the line above `node` (or its wrapper), cleaned of
    comment markers. Attributes/annotations in between are skipped over."""
    lines: list[str] = []
    current = node
    while current.parent is not None and current.prev_named_sibling is None:
        if current.parent.type in ("program", "source_file"):
            break
        current = current.parent  # e.g. export_statement around a declaration
    sibling = current.prev_named_sibling
    expected_row = current.start_point.row
    while sibling is not None and sibling.type in comment_types:
        if sibling.end_point.row < expected_row - 1:
            break
        if "comment" in sibling.type:
            lines[:0] = node_text(sibling).splitlines()
        expected_row = sibling.start_point.row
        sibling = sibling.prev_named_sibling
    cleaned = [_CLOSING.sub("", _DECORATION.sub("", line)).rstrip() for line in lines]
    return "\n".join(line for line in cleaned if line.strip() not in ("", "*/")).strip()
