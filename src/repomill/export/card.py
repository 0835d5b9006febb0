"""The dataset card (README.md): YAML front matter that the Hugging Face hub and
`datasets` read (configs, splits, features), then what is in the data and how it was made."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

_DTYPES = {pa.string(): "string", pa.int32(): "int32", pa.int64(): "int64",
           pa.float64(): "float64", pa.bool_(): "bool"}  # fmt: skip


def _feature(name: str, dtype: pa.DataType, indent: str) -> list[str]:
    if pa.types.is_list(dtype) and pa.types.is_struct(dtype.value_type):
        lines = [f"{indent}- name: {name}", f"{indent}  list:"]
        for field in dtype.value_type:
            lines += _feature(field.name, field.type, indent + "  ")
        return lines
    return [f"{indent}- name: {name}", f"{indent}  dtype: {_DTYPES[dtype]}"]


def front_matter(schema: pa.Schema, counts: dict[str, int], fmt: str,
                 num_bytes: dict[str, int] | None = None) -> str:  # fmt: skip
    splits = [split for split, n in counts.items() if n]
    lines = ["---", "configs:", "- config_name: default", "  data_files:"]
    for split in splits:
        lines += [f"  - split: {split}", f"    path: data/{split}-*.{fmt}"]
    lines += ["dataset_info:", "  features:"]
    for field in schema:
        lines += _feature(field.name, field.type, "  ")
    lines += ["  splits:"]
    for split in splits:
        lines += [f"  - name: {split}", f"    num_bytes: {(num_bytes or {}).get(split, 0)}",
                  f"    num_examples: {counts[split]}"]  # fmt: skip
    lines += ["tags:", "- code", "- repomill", "---"]
    return "\n".join(lines)


def dataset_card(
    title: str,
    schema: pa.Schema,
    counts: dict[str, int],
    fmt: str,
    sections: dict[str, str],
    num_bytes: dict[str, int] | None = None,
) -> str:
    """Front matter, a title, a split table, then free-form `sections` (heading -> text)."""
    rows = "\n".join(f"| {split} | {n} |" for split, n in counts.items())
    body = [front_matter(schema, counts, fmt, num_bytes), f"# {title}", "",
            "| split | examples |", "|---|---|", rows]  # fmt: skip
    for heading, text in sections.items():
        body += ["", f"## {heading}", "", text.strip()]
    return "\n".join(body) + "\n"


def bullet_counts(counts: dict[str, Any]) -> str:
    if not counts:
        return "(none)"
    return "\n".join(f"- `{key}`: {value}" for key, value in sorted(counts.items()))
