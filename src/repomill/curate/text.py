"""The text of a sample as curation sees it, and its normalized code tokens."""

from __future__ import annotations

import re
from typing import Any

_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+|[^\sA-Za-z0-9_]")


def sample_text(sample: dict[str, Any]) -> str:
    """What a sample teaches: its user and assistant messages (the system prompt is the
    same for every sample of a recipe, so it would only make samples look alike)."""
    return "\n".join(m["content"] for m in sample["messages"] if m["role"] != "system")


def code_tokens(text: str) -> list[str]:
    """Identifiers, numbers and single punctuation marks; whitespace and layout ignored,
    so reformatting does not hide a copy."""
    return _TOKEN.findall(text)


def normalized(text: str) -> str:
    return " ".join(code_tokens(text))
