"""Seed mining: documented, self-contained functions of the repository, each dropped one
with a counted reason. Seeds pass near-dedup and decontamination before any model call."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from repomill.code.repo_index import RepoIndex
from repomill.curate.decontam import Benchmark
from repomill.curate.dedup import DedupRow, duplicates_to_drop
from repomill.curate.minhash import signature
from repomill.curate.text import code_tokens
from repomill.engine.keys import stable_hash

SEED_LANGUAGES = frozenset({"python", "typescript", "javascript", "rust", "java"})
MIN_LINES, MAX_LINES = 3, 60
MAX_DEPENDENCIES = 3  # names the seed uses that are defined in other files
_TODO = re.compile(r"\b(TODO|FIXME|XXX|HACK)\b")
# A value returned: `return <expression>` (not a bare `return` or `return None`), or in
# Rust a declared return type (a tail expression returns it); a signature that declares
# no value (`-> None`, `-> ()`, `void`) returns none whatever its body says.
_RETURNS = re.compile(r"\breturn[ \t]+(?!None\b)[^\s;]")
_RUST_RETURN_TYPE = re.compile(r"->\s*(?!\(\s*\))[^\s{]")
_NO_VALUE = re.compile(r"->\s*(None|\(\s*\))\s*:?\s*$|\bvoid\s+\w+\s*\("
                       r"|\)\s*:\s*(void|Promise<void>|never)\s*$")  # fmt: skip
_SIDE_EFFECTS = re.compile(
    r"\b(os\.(system|remove|unlink|rmdir|makedirs|mkdir|environ|kill|walk|listdir|scandir)"
    r"|subprocess|socket|requests\.|httpx|aiohttp|urllib|http\.client|shutil\.|tempfile"
    r"|open\(|input\(|sys\.exit|child_process|fetch\(|glob\."
    r"|(read|write)_(text|bytes)\(|iterdir\(|(readFile|writeFile|readdir)(Sync)?\("
    r"|require\(['\"](fs|fs/promises|net|http|https|child_process)['\"]\)|fs\.\w+"
    r"|process\.(exit|env)|std::(fs|net|process|env|io::stdin)|File::(open|create)"
    r"|Command::new|Runtime\.getRuntime|java\.(io|net|nio)\.|Files\.|System\.(exit|getenv)"
    r"|ProcessBuilder|Thread\.sleep|time\.sleep)",
)
# Handlers of a command-line framework (their work is their I/O) and tests are no seeds.
_CLI_COMMAND = re.compile(
    r"^\s*@(click|typer|\w+(\.\w+)*\.(command|group|callback))\b|argparse\.Namespace"
    r"|#\[(command|clap)\b",
    re.MULTILINE,
)
_TEST_PATH = re.compile(r"(^|/)(tests?|__tests__|spec)/|(^|/)test_[^/]*$|_test\.\w+$"
                        r"|\.(test|spec)\.\w+$|(^|/)conftest\.py$")  # fmt: skip
_TEST_CODE = re.compile(r"^\s*(#\[test\]|@Test\b|(async\s+)?def\s+test_|(it|test|describe)\()",
                        re.MULTILINE)  # fmt: skip


@dataclass
class Seed:
    seed_id: str  # the chunk id
    path: str
    symbol: str
    language: str
    code: str
    docstring: str
    start_line: int
    end_line: int
    content_hash: str

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def mine_seeds(index: RepoIndex, benchmarks: list[Benchmark],
               near_threshold: float) -> tuple[list[Seed], Counter[str]]:  # fmt: skip
    """Seeds in a stable order (path, line), and why the rest were dropped (the recipe's
    `limit` applies after its static checks)."""
    dropped: Counter[str] = Counter()
    docs = {(s["path"], s["qualname"]): s for s in index.symbols}
    broken = {f["path"] for f in index.files if f.get("has_error")}
    found: list[Seed] = []
    for chunk in sorted(index.chunks, key=lambda c: (c["path"], c["start_line"])):
        if chunk["kind"] not in ("function", "method") or chunk["part"]:
            continue
        symbol = docs.get((chunk["path"], chunk["symbol"]))
        reason = _reject(chunk, symbol, chunk["path"] in broken, index)
        if reason is not None:
            dropped[reason] += 1
            continue
        found.append(Seed(chunk["chunk_id"], chunk["path"], chunk["symbol"], chunk["language"],
                          chunk["text"], symbol["docstring"], chunk["start_line"],
                          chunk["end_line"], stable_hash(chunk["text"])))  # fmt: skip
    kept = []
    for seed in found:
        if any(b.hits(seed.code) for b in benchmarks):
            dropped["contaminated"] += 1
        else:
            kept.append(seed)
    rows = [DedupRow(0, (i,), " ".join(t), signature(t))
            for i, t in enumerate(code_tokens(s.code) for s in kept)]  # fmt: skip
    duplicates = duplicates_to_drop(rows, near_threshold) if rows else {}
    dropped["duplicate_seed"] += len(duplicates)
    kept = [s for i, s in enumerate(kept) if i not in duplicates]
    return kept, +dropped


def _returns_value(language: str, text: str, signature: str) -> bool:
    if _NO_VALUE.search(signature):
        return False
    return bool(_RETURNS.search(text)
                or (language == "rust" and _RUST_RETURN_TYPE.search(signature)))  # fmt: skip


def _reject(chunk: dict, symbol: dict | None, broken: bool, index: RepoIndex) -> str | None:
    if chunk["language"] not in SEED_LANGUAGES:
        return "unsupported_language"
    if broken:
        return "parse_error"
    if symbol is None or not symbol["docstring"].strip():
        return "no_docstring"
    lines = chunk["end_line"] - chunk["start_line"] + 1
    if lines < MIN_LINES:
        return "too_short"
    if lines > MAX_LINES:
        return "too_long"
    text = chunk["text"]
    if _TEST_PATH.search(chunk["path"]) or _TEST_CODE.search(text):
        return "test"
    if _CLI_COMMAND.search(text):
        return "cli_command"
    if _TODO.search(text):
        return "todo"
    if not _returns_value(chunk["language"], text, symbol["signature"]):
        return "no_return_value"
    if _SIDE_EFFECTS.search(text):
        return "side_effects"
    outside = {name for name in chunk["references"]
               if index.unique_elsewhere(name, chunk["path"]) is not None}  # fmt: skip
    if len(outside) > MAX_DEPENDENCIES:
        return "many_dependencies"
    return None
