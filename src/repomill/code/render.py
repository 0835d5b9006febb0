"""How a definition from another file is shown as context: small types in full, functions
and large types as signature + doc comment (and, for large types, their members'
signatures)."""

from __future__ import annotations

from typing import Any

_INDENT = "    "
# Types up to this size are shown whole; larger ones as signature, doc and members.
FULL_TEXT_MAX_BYTES = 1500


def _python_stub(signature: str, docstring: str, members: list[str]) -> str:
    lines = [signature]
    if docstring:
        lines.append(f'{_INDENT}"""{docstring}"""')
    lines.extend(_INDENT + m for m in members)
    if not members:
        lines.append(f"{_INDENT}...")
    return "\n".join(lines)


def _braced_stub(signature: str, docstring: str, members: list[str]) -> str:
    lines = [f"/// {line}".rstrip() for line in docstring.splitlines()]
    if members:
        lines.append(signature + " {")
        lines.extend(_INDENT + m + (";" if not m.endswith(";") else "") for m in members)
        lines.append("}")
    else:
        lines.append(signature + (" { … }" if not signature.endswith(";") else ""))
    return "\n".join(lines)


def render_symbol(symbol: dict[str, Any], members: list[dict[str, Any]]) -> str:
    if symbol["text"]:
        return symbol["text"]
    member_signatures = [m["signature"].split("\n", 1)[0] for m in members]
    stub = _python_stub if symbol["language"] == "python" else _braced_stub
    return stub(symbol["signature"], symbol["docstring"], member_signatures)
