"""How the new code of an example's units is written as the assistant's answer: the whole
new units, a unified diff, or search/replace blocks; and how a unit is headed, in the
prompt and the answer alike.

A unit is a definition (function, method, class…) or a `<module>` unit: a run of changed
top-level lines, outside every definition. A file can have several of the latter, so their
heading names their place: `lines 3-5` (the old lines they replace), `after line 2` (lines
added to an existing file), `new lines 1-4` (in a new file). Its whole new version is just
those lines."""

from __future__ import annotations

import difflib
from typing import Any

SEARCH_CONTEXT_LINES = 2

INSTRUCTIONS = {
    "whole": "Answer with the complete new version of each changed unit, one fenced block "
    "per unit under a `### path :: symbol` heading; a removed unit is marked `(removed)`.",
    "udiff": "Answer with a unified diff of the change (`--- a/path`, `+++ b/path`, `@@` "
    "hunks with the file's line numbers).",
    "search-replace": "Answer with SEARCH/REPLACE blocks: the file path, then `<<<<<<< "
    "SEARCH`, the exact current lines, `=======`, the new lines, `>>>>>>> REPLACE`.",
}


def fence(language: str, code: str) -> str:
    ticks = "````" if "```" in code else "```"
    return (
        f"{ticks}{language}\n{code}{'' if code.endswith(chr(10)) or not code else chr(10)}{ticks}"
    )


MODULE = "<module>"
MODULE_NOTE = {
    "whole": "A `<module>` unit is a run of top-level lines (outside every definition), "
    "headed by where it is (`lines 3-5`, `after line 2`): its new version is just those "
    "lines, without the rest of the file.",
    "udiff": "A `<module>` unit is a run of top-level lines (outside every definition), "
    "headed by where it is in the file.",
}
MODULE_NOTE["search-replace"] = MODULE_NOTE["udiff"]


def heading(unit: dict[str, Any]) -> str:
    """`### path :: symbol`; a `<module>` unit's symbol is followed by its place."""
    if unit["symbol"] != MODULE:
        return f"### {unit['path']} :: {unit['symbol']}"
    return f"### {unit['path']} :: {MODULE} {module_place(unit)}"


def module_place(unit: dict[str, Any]) -> str:
    """Where a `<module>` unit's lines are: the old lines it replaces, the old line its
    lines go after (lines added to an existing file), or its lines in a new file."""
    if unit["old_code"]:
        return _span(unit["old_start_line"], unit["old_code"])
    if unit["old_path"]:
        after = unit["old_start_line"] - 1
        return f"after line {after}" if after > 0 else "at the top"
    return "new " + _span(unit["new_start_line"], unit["new_code"])


def _span(start: int, code: str) -> str:
    end = start + max(len(code.splitlines()), 1) - 1
    return f"line {start}" if end == start else f"lines {start}-{end}"


def render_target(target: str, units: list[dict[str, Any]]) -> str:
    render = {"whole": _whole, "udiff": _udiff, "search-replace": _search_replace}[target]
    return "\n\n".join(render(unit) for unit in units)


def _whole(unit: dict[str, Any]) -> str:
    if not unit["new_code"]:
        return f"{heading(unit)}\n(removed)"
    return f"{heading(unit)}\n{fence(unit['language'], unit['new_code'])}"


def _lines(code: str) -> list[str]:
    lines = code.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return lines


def _udiff(unit: dict[str, Any]) -> str:
    old, new = _lines(unit["old_code"]), _lines(unit["new_code"])
    old_first = max(unit["old_start_line"], 1)
    new_first = max(unit["new_start_line"], 1)
    header = [f"--- a/{unit['old_path'] or unit['path']}\n", f"+++ b/{unit['path']}\n"]
    body = []
    for group in difflib.SequenceMatcher(None, old, new, autojunk=False).get_grouped_opcodes(3):
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        old_at = old_first + i1 if i2 > i1 else old_first + i1 - 1
        new_at = new_first + j1 if j2 > j1 else new_first + j1 - 1
        body.append(f"@@ -{old_at},{i2 - i1} +{new_at},{j2 - j1} @@\n")
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                body.extend(" " + line for line in old[a1:a2])
            else:
                body.extend("-" + line for line in old[a1:a2])
                body.extend("+" + line for line in new[b1:b2])
    return "".join(header + body).rstrip("\n")


def _search_replace(unit: dict[str, Any]) -> str:
    old, new = _lines(unit["old_code"]), _lines(unit["new_code"])
    blocks = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for group in matcher.get_grouped_opcodes(SEARCH_CONTEXT_LINES):
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        search, replace = "".join(old[i1:i2]), "".join(new[j1:j2])
        blocks.append(
            f"{unit['path']}\n```{unit['language']}\n<<<<<<< SEARCH\n{search}=======\n"
            f"{replace}>>>>>>> REPLACE\n```"
        )
    return "\n\n".join(blocks)
