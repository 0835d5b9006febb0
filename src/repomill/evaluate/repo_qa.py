"""Exact repo-QA (`task == "qa_exact"`): how much of the reference a generated answer names.

- expected: the distinct code spans (backticked, whitespace collapsed) of the reference's
  `meta.answer_items`: the endpoints, methods, conditions, values the answer lists.
- named: an expected span occurs in the generated text (backticked or not, whitespace
  collapsed, not inside a longer identifier). `accuracy` = named / expected.
- extra: a code span of the generated answer naming an identifier chain (`A.b.c`) that is
  no contiguous part of a chain the reference answer or the question names: a caller,
  method or value the reference does not have (`OrderServiceImpl.refund`). Spans with no
  identifier (numbers, punctuation) are not extra; neither is any plain-text word.
- `exact`: accuracy 1 and no extra span: every fact of the reference, and no invented or
  wrong code name beside them. Line numbers and paths in prose are not compared.

Linear in the length of the texts (each expected span is one literal search)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from repomill.evaluate.rows import mean, meta, reference_answer, share
from repomill.verify import markdown

_CHAIN = re.compile(r"[A-Za-z_$][\w$]*(?:\s*(?:\.|::)\s*[A-Za-z_$][\w$]*)*")
_SEP = re.compile(r"\s*(?:\.|::)\s*")
_STRING = re.compile(r"\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'")
_WORD = re.compile(r"[\w$]")


@dataclass(frozen=True)
class QAScore:
    accuracy: float  # share of the expected spans the answer names
    exact: bool
    expected: int
    named: int
    extra: tuple[str, ...] = ()  # the answer's code spans the reference has no part of

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def answer_accuracy(row: dict[str, Any], generated: str) -> QAScore:
    generated = generated if isinstance(generated, str) else ""
    expected = _expected(meta(row).get("answer_items") or [])
    text = _collapse(generated)
    named = sum(1 for span in expected if _names(text, span))
    allowed = _subchains(reference_answer(row) + "\n\n" + _question(row))
    spans = dict.fromkeys(_collapse(s) for s in markdown.parse(generated).spans)
    extra = tuple(s for s in spans if any(c not in allowed for c in _chains(s)))
    accuracy = named / len(expected) if expected else 1.0
    return QAScore(round(accuracy, 4), accuracy == 1.0 and not extra, len(expected), named,
                   extra)  # fmt: skip


def _expected(items: list[Any]) -> list[str]:
    spans: dict[str, None] = {}
    for item in items:
        for span in markdown.parse(str(item)).spans:
            if span := _collapse(span):
                spans.setdefault(span, None)
    return list(spans)


def _question(row: dict[str, Any]) -> str:
    users = [m.get("content") or "" for m in row.get("messages") or [] if m.get("role") == "user"]
    return users[-1] if users else ""


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _names(text: str, span: str) -> bool:
    """Whether `span` occurs in `text`, not as part of a longer identifier."""
    start = text.find(span)
    while start != -1:
        end = start + len(span)
        before = start == 0 or not (_WORD.match(span[0]) and _WORD.match(text[start - 1]))
        after = end == len(text) or not (_WORD.match(span[-1]) and _WORD.match(text[end]))
        if before and after:
            return True
        start = text.find(span, start + 1)
    return False


def _chains(code: str) -> list[tuple[str, ...]]:
    """The identifier chains of a code span, string literals left out."""
    return [tuple(_SEP.split(m[0])) for m in _CHAIN.finditer(_STRING.sub(" ", code))]


def _subchains(text: str) -> set[tuple[str, ...]]:
    """Every contiguous part of every identifier chain of `text` (its code and prose)."""
    found: set[tuple[str, ...]] = set()
    for chain in _chains(text):
        for i in range(len(chain)):
            for j in range(i + 1, len(chain) + 1):
                found.add(chain[i:j])
    return found


def summarise(results: list[QAScore]) -> dict[str, Any]:
    return {"rows": len(results), "accuracy": mean([r.accuracy for r in results]),
            "exact": share([r.exact for r in results]),
            "with_extra": share([bool(r.extra) for r in results])}  # fmt: skip
