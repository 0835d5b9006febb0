"""What the metrics read of a dataset row, as `read_dataset` gives it."""

from __future__ import annotations

import json
from typing import Any


def meta(row: dict[str, Any]) -> dict[str, Any]:
    """The row's `meta` (a JSON string in the dataset; a dict is taken as it is)."""
    value = row.get("meta")
    if isinstance(value, dict):
        return value
    try:
        parsed = json.loads(value or "{}")
    except (TypeError, ValueError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def reference_answer(row: dict[str, Any]) -> str:
    """The content of the row's last assistant message ("" when it has none)."""
    for message in reversed(row.get("messages") or []):
        if message.get("role") == "assistant":
            return message.get("content") or ""
    return ""


def share(flags: list[bool]) -> float:
    return round(sum(1 for flag in flags if flag) / len(flags), 4) if flags else 0.0


def mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 4) if values else 0.0
