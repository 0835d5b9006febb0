"""Arrow schemas: the columns every recipe's samples share (a recipe adds its own), the
rejected records, and the split names."""

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
    # the same conversation as TRL's prompt-completion format (completion-only loss with
    # any chat template), and its two parts' tokens with the dataset's tokenizer
    ("prompt", pa.list_(MESSAGE)),
    ("completion", pa.list_(MESSAGE)),
    ("prompt_tokens", pa.int32()),
    ("completion_tokens", pa.int32()),
]
DERIVED = ("prompt", "completion", "prompt_tokens", "completion_tokens")  # from `messages`

REJECTED = pa.schema(
    [("id", pa.string()), ("recipe", pa.string()), ("commit", pa.string()),
     ("reason", pa.string()), ("stage", pa.string()), ("meta", pa.string())]
)  # fmt: skip


SPLITS = ("train", "validation", "test")


def sample_schema(columns: list[tuple[str, pa.DataType]]) -> pa.Schema:
    """The columns every recipe shares, then a recipe's own (`columns`)."""
    shared = {name for name, _ in COMMON}
    if clash := sorted(shared & {name for name, _ in columns}):
        raise ValueError(f"recipe columns {clash} are shared columns already")
    return pa.schema(COMMON + columns)
