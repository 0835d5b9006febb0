"""Turn a mined commit into examples: cross-file context at the parent revision, the
rendered conversation (system / user / assistant), and the token budget, met by dropping
whole context items (lowest rank first), then import blocks, then the old code of secondary
units; never by cutting code mid-definition."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from repomill.code.context import ContextItem, SymbolLookup, candidates, import_block
from repomill.code.ids import chunk_id
from repomill.code.languages import language_for_path
from repomill.code.repo_index import Visibility
from repomill.engine.keys import stable_hash
from repomill.export.records import Rejected, Sample
from repomill.recipes.commits.mined import MinedCommit
from repomill.recipes.commits.targets import (
    INSTRUCTIONS,
    MODULE,
    MODULE_NOTE,
    fence,
    heading,
    module_place,
    render_target,
)
from repomill.tokens import TOKENS_PER_MESSAGE, TokenCounter, count_chat

OLD_CODE_OMITTED = "(old code omitted for length)"
NEW_UNIT = "(new: does not exist yet)"
NEW_FILE = "(new file: does not exist yet)"
MODULE_INSERTION = "(no lines here yet: the new top-level lines are inserted into the file)"


@dataclass
class ExampleSettings:
    repo: str
    target: str = "whole"
    max_tokens: int = 8192
    per_unit: bool = False


@dataclass
class GroupContext:
    """What the index at the parent gives one example: ranked context items, and the import
    block of each changed file."""

    items: list[ContextItem]
    imports: dict[str, str]


# The context of one example's units (its group key, the units), from the index at the parent.
ContextOf = Callable[[str, list[dict[str, Any]]], GroupContext]


@dataclass
class Draft:
    """One example's parts before rendering; the budget loop removes parts from it."""

    units: list[dict[str, Any]]
    items: list[ContextItem]
    imports: dict[str, str]  # changed file at the parent -> its import statements
    omitted_old: set[int]  # positions of units whose old code is left out
    # context items and import blocks dropped for the budget, for the example's meta
    left_out: list[str] = field(default_factory=list)


def build_examples(
    commit: MinedCommit,
    context_of: ContextOf,
    counter: TokenCounter,
    settings: ExampleSettings,
) -> tuple[list[Sample], list[Rejected]]:
    """(examples, rejections) for one mined commit. Context is asked for only when an
    example can fit the budget at all: the barest prompt is measured first, so oversized
    commits cost no context lookups."""
    groups = [[u] for u in commit.units] if settings.per_unit else [commit.units]
    examples, rejected = [], []
    for units in groups:
        key = "" if not settings.per_unit else _unit_key(units[0])
        sample_id = stable_hash("commits", settings.repo, commit.sha, key, settings.target)
        bare = Draft(units, [], {}, set(range(1, len(units))))
        messages, tokens = _fit(bare, commit.message, counter, settings)
        if messages is not None:
            found = context_of(key, units)
            draft = Draft(units, found.items, found.imports, set())
            messages, tokens = _fit(draft, commit.message, counter, settings)
        if messages is None:
            rejected.append(rejection(commit, "over_token_budget", "examples", sample_id,
                                      {"tokens_without_context": tokens}))  # fmt: skip
            continue
        examples.append(_sample(sample_id, commit, draft, messages, tokens, settings))
    return examples, rejected


def rejection(commit: MinedCommit, reason: str, stage: str, sample_id: str | None = None,
              detail: dict[str, Any] | None = None) -> Rejected:  # fmt: skip
    meta = {"message": commit.message, "time": commit.time, **(detail or {})}
    sample_id = sample_id or stable_hash("commits", commit.sha)
    return Rejected(sample_id, "commits", commit.sha, reason, stage, meta)


def group_context(index: SymbolLookup, commit: MinedCommit, units: list[dict[str, Any]]
                  ) -> GroupContext:  # fmt: skip
    """The context of `units` (of `commit`) from `index`, standing at the commit's parent."""
    return GroupContext(_context(index, units, _new_imports(commit)), _imports(index, units))


def _new_imports(commit: MinedCommit) -> dict[str, list[dict[str, Any]]]:
    """The imports of each changed file at the commit (new code uses what it imports)."""
    return {new_path: commit.hints[blob].imports for _, _, new_path, blob in commit.files
            if blob in commit.hints}  # fmt: skip


def _visibility(index: SymbolLookup, unit: dict[str, Any],
                new_imports: dict[str, list[dict[str, Any]]]) -> Visibility | None:  # fmt: skip
    """What the unit's file sees at the parent through its imports there and through those
    the commit gives it (a new file has only these)."""
    old = index.visible_from(unit["old_file"]) if unit["old_file"] else None
    imports = new_imports.get(unit["path"])
    new = index.visible_from(unit["path"], imports) if imports is not None else None
    return old.union(new) if old is not None and new is not None else old or new


def _context(index: SymbolLookup, units: list[dict[str, Any]],
             new_imports: dict[str, list[dict[str, Any]]]) -> list[ContextItem]:  # fmt: skip
    """Ranked definitions from other files that the changed code (old and new) uses,
    looked up at the parent revision; the best rank of an item across units wins. A
    definition of another changed file counts unless it holds or overlaps a unit's old
    code (which the prompt shows)."""
    best: dict[tuple[str, str, int], ContextItem] = {}
    shown = [(u["old_path"], *_old_lines(u)) for u in units if u["old_code"]]
    for unit in units:
        code = unit["old_code"] + "\n" + unit["new_code"]
        seen = _visibility(index, unit, new_imports)
        owner = unit["symbol"].rpartition(".")[0] if unit["kind"] == "method" else None
        for item in candidates(index, unit["old_file"] or unit["path"], code, seen, owner):
            key = (item.path, item.symbol, item.start_line)
            if any(path == item.path and start <= item.end_line and item.start_line <= end
                   for path, start, end in shown):  # fmt: skip
                continue  # its old code is in the prompt already
            if key not in best or (item.how, item.uses) > (best[key].how, best[key].uses):
                best[key] = item
    return sorted(
        best.values(), key=lambda i: (-i.how, -i.uses, i.kind.endswith("function"), i.path)
    )


def _old_lines(unit: dict[str, Any]) -> tuple[int, int]:
    code, start = unit["old_code"], unit["old_start_line"]
    return start, start + code.count("\n") - (1 if code.endswith("\n") else 0)


def _imports(index: SymbolLookup, units: list[dict[str, Any]]) -> dict[str, str]:
    blocks = {}
    for unit in units:
        path = unit["old_file"]
        if path and path not in blocks:
            blocks[path] = import_block(index, path)
    return {path: block for path, block in blocks.items() if block}


def _fit(draft: Draft, instruction: str, counter: TokenCounter, settings: ExampleSettings):
    """Messages within the budget and their exact token count, or (None, estimate) if even
    the barest prompt is over it. Sizes are estimated from the counts of the parts (cached:
    context items recur across commits); the whole conversation is counted once at the end."""
    budget = settings.max_tokens
    secondary = sorted(range(1, len(draft.units)), key=lambda i: -len(draft.units[i]["old_code"]))
    answer = render_target(settings.target, draft.units)
    system = _system(settings, draft.units)
    fixed = counter.count(system) + counter.count(answer) + 3 * TOKENS_PER_MESSAGE
    while True:
        parts = _user_parts(draft, instruction)
        estimate = fixed + sum(counter.count(part) + 1 for part in parts)
        if estimate <= budget:
            messages = _messages(system, parts, answer)
            tokens = count_chat(messages, counter)
            if tokens <= budget:
                return messages, tokens
            estimate = tokens
        if draft.items:
            _drop_items(draft, estimate - budget, counter)
        elif draft.imports:
            path, _ = draft.imports.popitem()
            draft.left_out.append(f"imports of {path}")
        elif secondary:
            draft.omitted_old.add(secondary.pop(0))
        else:
            return None, estimate


def _drop_items(draft: Draft, excess: int, counter: TokenCounter) -> None:
    """Drop the lowest-ranked items (at least one) until their parts cover the excess."""
    freed = 0
    while draft.items and (freed == 0 or freed < excess):
        item = draft.items.pop()
        draft.left_out.append(f"{item.path}::{item.symbol}")
        freed += counter.count(_item_part(item)) + 1


def _unit_key(unit: dict[str, Any]) -> str:
    """Tells apart the examples of one commit's units (`--per-unit`); a file's `<module>`
    units by their place."""
    key = f"{unit['path']}::{unit['symbol']}"
    return f"{key}@{module_place(unit)}" if unit["symbol"] == MODULE else key


def _system(settings: ExampleSettings, units: list[dict[str, Any]]) -> str:
    modules = any(u["symbol"] == MODULE for u in units)
    return (
        f"You are an expert software engineer working in the repository {settings.repo}. "
        f"Make the change the user asks for. {INSTRUCTIONS[settings.target]}"
        + (f" {MODULE_NOTE[settings.target]}" if modules else "")
    )


def _item_part(item: ContextItem) -> str:
    where = f"{item.path}:{item.start_line}-{item.end_line}"
    language = language_for_path(item.path) or ""
    return f"### {where} ({item.kind} {item.symbol})\n{fence(language, item.text)}"


def _user_parts(draft: Draft, instruction: str) -> list[str]:
    parts = [instruction.strip()]
    if draft.imports or draft.items:
        parts.append("## Context from the repository")
        for path, block in draft.imports.items():
            language = next(u["language"] for u in draft.units if u["old_file"] == path)
            parts.append(f"### imports of {path}\n{fence(language, block)}")
        parts.extend(_item_part(item) for item in draft.items)
    parts.append("## Code to change")
    for position, unit in enumerate(draft.units):
        if not unit["old_code"]:
            parts.append(f"{heading(unit)}\n{_no_old_code(unit)}")
        elif position in draft.omitted_old:
            parts.append(f"{heading(unit)}\n{OLD_CODE_OMITTED}")
        else:
            parts.append(f"{heading(unit)}{_origin(unit)}\n"
                         f"{fence(unit['language'], unit['old_code'])}")  # fmt: skip
    return parts


def _origin(unit: dict[str, Any]) -> str:
    """Where the old code shown comes from: ` (from line N)`, with the old path when the
    file was renamed or moved (a `<module>` unit's heading has its lines already)."""
    moved = unit["old_path"] != unit["path"]
    if unit["symbol"] == MODULE:
        return f" (from {unit['old_path']})" if moved else ""
    return f" (from {unit['old_path'] + ', ' if moved else ''}line {unit['old_start_line']})"


def _no_old_code(unit: dict[str, Any]) -> str:
    """What stands for the old code of a unit that has none."""
    if not unit["old_file"]:
        return NEW_FILE
    if unit["symbol"] == MODULE:  # the file exists: only these top-level lines are new
        return MODULE_INSERTION
    return NEW_UNIT


def _messages(system: str, parts: list[str], answer: str) -> list[dict]:
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": "\n\n".join(parts)},
        {"role": "assistant", "content": answer},
    ]


def _sample(sample_id, commit: MinedCommit, draft: Draft, messages, tokens, settings) -> Sample:
    units = draft.units
    languages = sorted({u["language"] for u in units})
    size = Counter()
    for unit in units:
        size[unit["language"]] += len(unit["old_code"]) + len(unit["new_code"])
    primary = max(languages, key=lambda language: size[language])
    evidence = [_unit_evidence(u) for u in units if u["old_code"]] + [
        {"chunk_id": i.chunk_id, "path": i.path, "start_line": i.start_line,
         "end_line": i.end_line}
        for i in draft.items
    ]  # fmt: skip
    meta = {
        "target": settings.target,
        "time": commit.time,
        "languages": languages,
        "old_code_omitted": sorted(draft.omitted_old),
        "file_skips": commit.file_skips,
    }
    if draft.left_out:  # lowest-ranked first: what the budget cost this example
        meta["context_left_out"] = draft.left_out
    columns = {
        "parent_commit": commit.parent or "",
        "units": [{k: u[k] for k in UNIT_FIELDS} for u in units],
        "context": [item.to_json() for item in draft.items],
        "num_tokens": tokens,
    }
    return Sample(sample_id, "commits", "commit-edit", messages, primary, settings.repo,
                  commit.sha, evidence, meta, time=commit.time, group=commit.sha,
                  columns=columns)  # fmt: skip


def _unit_evidence(unit: dict[str, Any]) -> dict[str, Any]:
    start, end = _old_lines(unit)
    return {
        "chunk_id": chunk_id(unit["old_path"], unit["symbol"], unit["old_code"]),
        "path": unit["old_path"],
        "start_line": start,
        "end_line": end,
    }


UNIT_FIELDS = ("path", "old_path", "symbol", "kind", "old_code", "new_code",
               "old_start_line", "new_start_line")  # fmt: skip
