"""Read structured model output: tagged sections and fenced code blocks, and say why an
output cannot be used (truncated, malformed) instead of guessing."""

from __future__ import annotations

import re
from dataclasses import dataclass

from repomill.llm.types import Result

_FENCE = re.compile(r"^(`{3,})[ \t]*([\w+#.-]*)[^\n]*\n(.*?)^\1[ \t]*$", re.S | re.M)


@dataclass(frozen=True)
class CodeBlock:
    language: str
    code: str


def code_blocks(text: str, language: str | None = None) -> list[CodeBlock]:
    """Fenced blocks in order; with `language`, only those tagged with it (case-insensitive;
    untagged blocks count as any language)."""
    blocks = [CodeBlock(m.group(2).lower(), m.group(3)) for m in _FENCE.finditer(text)]
    if language is None:
        return blocks
    return [b for b in blocks if b.language in ("", language.lower())]


def sections(text: str, names: list[str]) -> dict[str, str]:
    """`<name>…</name>` sections (an unclosed last one runs to the end of the text)."""
    found = {}
    for name in names:
        match = re.search(rf"<{name}>\s*(.*?)\s*(?:</{name}>|\Z)", text, re.S | re.I)
        if match:
            found[name] = match.group(1)
    return found


def unusable_reason(result: Result, required: list[str] = ()) -> str | None:
    """Why a result cannot be used: failed, truncated, empty, or missing a section."""
    if not result.ok:
        return "failed"
    if result.truncated:
        return "truncated"
    if not result.text.strip():
        return "empty"
    present = sections(result.text, list(required))
    missing = [name for name in required if not present.get(name, "").strip()]
    return f"missing_{missing[0]}" if missing else None
