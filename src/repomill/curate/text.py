"""The text of a sample as curation sees it, and its normalized code tokens."""

from __future__ import annotations

import difflib
import re
from typing import Any

_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+|[^\sA-Za-z0-9_]")


def sample_text(sample: dict[str, Any]) -> str:
    """What a sample teaches: its user and assistant messages (the system prompt is the
    same for every sample of a recipe, so it would only make samples look alike)."""
    return "\n".join(m["content"] for m in sample["messages"] if m["role"] != "system")


def dedup_text(sample: dict[str, Any]) -> str:
    """What makes two samples the same lesson. For edits (samples with units) that is the
    change itself — the removed and added lines — not the surrounding code: two different
    edits of one large function share most of their text but teach different things,
    while a cherry-pick repeats the same lines in the same place."""
    units = sample.get("units")
    if not units:
        return sample_text(sample)
    changed = []
    for unit in units:
        changed.append(f"{unit['path']} {unit['symbol']}")  # where, so tiny edits differ
        old, new = unit["old_code"].splitlines(), unit["new_code"].splitlines()
        for line in difflib.unified_diff(old, new, lineterm="", n=0):
            if line[:1] in "+-" and not line.startswith(("+++", "---")):
                changed.append(line)
    return "\n".join(changed)


def code_tokens(text: str) -> list[str]:
    """Identifiers, numbers and single punctuation marks; whitespace and layout ignored,
    so reformatting does not hide a copy."""
    return _TOKEN.findall(text)


def normalized(text: str) -> str:
    return " ".join(code_tokens(text))
