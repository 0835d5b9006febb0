"""Arrow schemas: the columns every recipe's samples share, each recipe's own, and the
rejected records."""

from __future__ import annotations

import pyarrow as pa

MESSAGE = pa.struct([("role", pa.string()), ("content", pa.string())])
EVIDENCE = pa.struct(
    [("chunk_id", pa.string()), ("path", pa.string()), ("start_line", pa.int32()),
     ("end_line", pa.int32())]
)  # fmt: skip

COMMON = [
    ("id", pa.string()),
    ("recipe", pa.string()),
    ("task", pa.string()),
    ("messages", pa.list_(MESSAGE)),
    ("language", pa.string()),
    ("repo", pa.string()),
    ("commit", pa.string()),
    ("evidence", pa.list_(EVIDENCE)),
    ("meta", pa.string()),  # JSON
]

UNIT = pa.struct(
    [("path", pa.string()), ("symbol", pa.string()), ("kind", pa.string()),
     ("old_code", pa.string()), ("new_code", pa.string()), ("old_start_line", pa.int32()),
     ("new_start_line", pa.int32())]
)  # fmt: skip
CONTEXT_ITEM = pa.struct(
    [("path", pa.string()), ("symbol", pa.string()), ("kind", pa.string()),
     ("start_line", pa.int32()), ("end_line", pa.int32()), ("text", pa.string())]
)  # fmt: skip

RECIPE_COLUMNS = {
    "self-align": [("num_tokens", pa.int32())],
    "commits": [
        ("parent_commit", pa.string()),
        ("units", pa.list_(UNIT)),
        ("context", pa.list_(CONTEXT_ITEM)),
        ("num_tokens", pa.int32()),
    ],
}

REJECTED = pa.schema(
    [("id", pa.string()), ("recipe", pa.string()), ("commit", pa.string()),
     ("reason", pa.string()), ("stage", pa.string()), ("meta", pa.string())]
)  # fmt: skip


def sample_schema(recipe: str) -> pa.Schema:
    return pa.schema(COMMON + RECIPE_COLUMNS.get(recipe, []))
