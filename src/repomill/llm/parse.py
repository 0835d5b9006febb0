"""Read structured model output: tagged sections and fenced code blocks, and say why an
output cannot be used (truncated, malformed) instead of guessing."""

from __future__ import annotations

import re
from dataclasses import dataclass

from repomill.llm.types import Result

# Fence lines only: no backreference and no lazy body, so every search is linear. The
# scanner below pairs them (a closing fence has at least the opening's backticks and
# nothing else; an unclosed fence runs to the end and is not a block).
_OPENING = re.compile(r"^(`{3,})[ \t]*([\w+#.-]*)[^\n]*$", re.M)


@dataclass(frozen=True)
class CodeBlock:
    language: str
    code: str


def code_blocks(text: str, language: str | None = None) -> list[CodeBlock]:
    """Fenced blocks in order; with `language`, only those tagged with it (case-insensitive;
    untagged blocks count as any language). Linear in the length of the text."""
    blocks, position = [], 0
    while opening := _OPENING.search(text, position):
        body = opening.end() + 1
        ticks = len(opening.group(1))
        closing = re.compile(rf"^`{{{ticks},}}[ \t\r]*$", re.M).search(text, body)
        if closing is None:
            break
        blocks.append(CodeBlock(opening.group(2).lower(), text[body : closing.start()]))
        position = closing.end()
    if language is None:
        return blocks
    return [b for b in blocks if b.language in ("", language.lower())]


def sections(text: str, names: list[str]) -> dict[str, str]:
    """`<name>…</name>` sections, case-insensitive (an unclosed one runs to the end of the
    text). Literal searches only: linear in the length of the text."""
    found = {}
    for name in names:
        opening = re.search(f"<{re.escape(name)}>", text, re.I)
        if opening:
            closing = re.compile(f"</{re.escape(name)}>", re.I).search(text, opening.end())
            found[name] = text[opening.end() : closing.start() if closing else None].strip()
    return found


def unusable_reason(result: Result, required: list[str] = ()) -> str | None:
    """Why a result cannot be used: too long (more than max_tokens allow), failed,
    truncated, empty, or missing a section."""
    if result.too_long:
        return "too_long"
    if not result.ok:
        return "failed"
    if result.truncated:
        return "truncated"
    if not result.text.strip():
        return "empty"
    present = sections(result.text, list(required))
    missing = [name for name in required if not present.get(name, "").strip()]
    return f"missing_{missing[0]}" if missing else None
