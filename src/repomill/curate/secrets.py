"""Credentials and personal data in every text field of a sample: detect-secrets' plugins
(cloud keys, tokens, private keys, passwords in URLs and assignments, high-entropy strings)
and e-mail addresses. Each finding is replaced by a typed placeholder (`<SECRET_AWS_KEY>`,
`<EMAIL>`) and recorded; the caller may drop the sample instead."""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import cache, lru_cache
from typing import Any

# Lines worth handing to the plugins: a cheap test that skips most code. Keywords are
# matched in lower case (re.IGNORECASE over alternatives is ~10x slower); long literals are
# found by a quick pattern first, then checked by the exact one.
_KEYWORDS = re.compile(
    r"key|secret|token|passw|pwd|auth|cred|private|bearer|://|akia|ghp_|gho_|github_pat|xox"
    r"|sk_live|sk-|sg\.|npm_|pypi-|eyj"
)
_KEYWORDS_ANY_CASE = re.compile(_KEYWORDS.pattern, re.IGNORECASE)
_LITERAL_START = re.compile(r"[\"'`=:]\s*[A-Za-z0-9+/=_\-]{16,}")
_LONG_LITERAL = re.compile(r"[\"'`][A-Za-z0-9+/=_\-]{16,}[\"'`]|[=:]\s*[A-Za-z0-9+/=_\-]{20,}")
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_\-+/=.]")
_PRIVATE_KEY = re.compile(
    r"-----BEGIN[A-Z ]*PRIVATE KEY-----(?:[\s\S]*?-----END[A-Z ]*PRIVATE KEY-----"
    r"|[A-Za-z0-9+/=\s\\\"',]*)"
)
EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
# Fields that are identifiers, not text.
# Fields of the shared columns whose strings are identifiers, not text (a hash looks like a
# secret); a recipe adds its own (`Recipe.identifiers`).
SHARED_IDENTIFIERS = frozenset({"id", "recipe", "task", "language", "repo", "commit",
                                "chunk_id", "role"})  # fmt: skip
MIN_SECRET_CHARS = 6  # shorter "secrets" are keywords the plugins echo back


@cache
def _plugins() -> tuple:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.settings import default_settings

    with default_settings():
        return tuple(cls() for cls in get_mapping_from_secret_type_to_class().values())


def placeholder(secret_type: str) -> str:
    name = re.sub(r"[^A-Z0-9]+", "_", secret_type.upper()).strip("_")
    name = name.replace("ACCESS_KEY", "KEY").replace("_CREDENTIALS", "")
    return f"<SECRET_{name}>"


def _expand(line: str, value: str) -> list[str]:
    """What to redact for a found value. Plugins may report only a token's prefix (`ghp`
    for a GitHub token), so a short value is widened to the whole token around it; a long
    one is the secret itself."""
    if len(value) >= 2 * MIN_SECRET_CHARS:
        return [value]
    spans = []
    for match in re.finditer(re.escape(value), line):
        start, end = match.start(), match.end()
        while start > 0 and _TOKEN_CHARS.match(line[start - 1]):
            start -= 1
        while end < len(line) and _TOKEN_CHARS.match(line[end]):
            end += 1
        spans.append(line[start:end])
    return spans


def _suspect_lines(text: str) -> list[str]:
    """The lines a cheap pattern flags (each with the next lines a match runs into)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        spans = [(m.start(), m.end()) for m in _KEYWORDS.finditer(lowered)]
    else:  # a few characters lower to two, which would shift positions
        spans = [(m.start(), m.end()) for m in _KEYWORDS_ANY_CASE.finditer(text)]
    for candidate in _LITERAL_START.finditer(text):
        if match := _LONG_LITERAL.match(text, candidate.start()):
            spans.append((match.start(), match.end()))
    lines, last_end = [], -1
    for start, end in sorted(spans):
        if start <= last_end:
            continue  # this line is taken already
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        last_end = len(text) if line_end < 0 else line_end
        lines.append(text[line_start:last_end])
    return lines


@lru_cache(maxsize=65_536)
def _line_findings(line: str) -> tuple[tuple[str, str], ...]:
    """(secret text, placeholder) in one line. Cached: a sample carries the same code in
    several fields (the units and the messages), and samples share context."""
    found = []
    for plugin in _plugins():
        for secret in plugin.analyze_line(filename="sample", line=line, line_number=0):
            value = secret.secret_value or ""
            if secret.type == "Private Key" or len(value) < MIN_SECRET_CHARS // 2:
                continue
            found += [(whole, placeholder(secret.type)) for whole in _expand(line, value)
                      if len(whole) >= MIN_SECRET_CHARS]  # fmt: skip
    return tuple(found)


def find_secrets(text: str) -> list[tuple[str, str]]:
    """(placeholder, secret text) for each finding, longest first."""
    found: dict[str, str] = {}
    for match in _PRIVATE_KEY.finditer(text):
        found[match.group(0)] = "<SECRET_PRIVATE_KEY>"
    for line in _suspect_lines(text):
        for whole, mark in _line_findings(line):
            found.setdefault(whole, mark)
    for match in EMAIL.finditer(text):
        found.setdefault(match.group(0), "<EMAIL>")
    return sorted(((p, s) for s, p in found.items()), key=lambda f: -len(f[1]))


def redact_text(text: str, counts: Counter[str]) -> str:
    for mark, secret in find_secrets(text):
        if secret in text:
            counts[mark] += text.count(secret)
            text = text.replace(secret, mark)
    return text


def redact(value: Any, counts: Counter[str], identifiers: frozenset[str] = SHARED_IDENTIFIERS,
           field: str = "") -> Any:  # fmt: skip
    """A copy of a row (or any part of one) with every finding replaced; strings under a
    field named in `identifiers` are left alone."""
    if isinstance(value, str):
        if field in identifiers or not value:
            return value
        if field == "meta" and value.startswith("{"):  # JSON: its ids are not secrets
            parsed = json.loads(value)
            return json.dumps(redact(parsed, counts, identifiers), ensure_ascii=False,
                              sort_keys=True)  # fmt: skip
        return redact_text(value, counts)
    if isinstance(value, dict):
        return {k: redact(v, counts, identifiers, k) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, counts, identifiers, field) for v in value]
    return value
