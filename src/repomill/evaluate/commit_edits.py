"""Commit edits (`recipe == "commits"`): the generated answer read back in the row's target
format (`answers`) and compared, unit by unit, with the reference new code:

- `exact_match`: every changed unit's new code equals the reference, whitespace-normalised
  (`normalise`: trailing whitespace and blank lines dropped, indentation kept).
- `edit_similarity`: the mean over the units of `similarity` (difflib's ratio) of the
  normalised new code and reference; a unit the answer leaves without code scores 0.
- `parses`: every unit has new code and it parses (`syntax.parses`).
- `applies` (udiff, search-replace; None for whole): the answer has edits, and every hunk
  or block applied to the old code.

`change_nothing_baseline(row)` scores the old code as the answer (so a number means
something); its `applies` is None. Garbage never raises: it scores False / 0."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from repomill.evaluate.answers import Answer, read_answer
from repomill.evaluate.rows import mean, meta, share
from repomill.evaluate.similarity import similarity
from repomill.evaluate.syntax import parses

TARGETS = ("whole", "udiff", "search-replace")


@dataclass(frozen=True)
class EditScore:
    exact_match: bool
    edit_similarity: float
    parses: bool
    applies: bool | None  # None: nothing to apply (the whole target, the baseline)
    units: int  # changed units of the row
    units_answered: int  # of them, those the answer gives new code for
    edits: int = 0  # hunks or SEARCH/REPLACE blocks in the answer
    edits_applied: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def normalise(code: str) -> str:
    lines = code.replace("\r\n", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines if line.strip())


def score_edit(row: dict[str, Any], generated: str) -> EditScore:
    """The metrics of `generated` as the answer to a commit row, in the row's target."""
    units = list(row.get("units") or [])
    target = meta(row).get("target", "whole")
    if target not in TARGETS:
        raise ValueError(f"row {row.get('id')}: unknown target {target!r}")
    answer = read_answer(target, units, generated if isinstance(generated, str) else "")
    applies = None if target == "whole" else bool(answer.edits) and answer.applied == answer.edits
    return _score(units, answer, applies)


def change_nothing_baseline(row: dict[str, Any]) -> EditScore:
    """The metrics of the old code, unchanged, as the answer."""
    units = list(row.get("units") or [])
    return _score(units, Answer(tuple(u["old_code"] or "" for u in units)), None)


def _score(units: list[dict[str, Any]], answer: Answer, applies: bool | None) -> EditScore:
    exact, similar, parsing = [], [], []
    for unit, code in zip(units, answer.code, strict=True):
        reference = normalise(unit["new_code"] or "")
        predicted = None if code is None else normalise(code)
        exact.append(predicted == reference)
        similar.append(0.0 if predicted is None else similarity(predicted, reference))
        parsing.append(code is not None and parses(code, unit["path"]))
    answered = sum(1 for code in answer.code if code is not None)
    return EditScore(bool(units) and all(exact), mean(similar), bool(units) and all(parsing),
                     applies, len(units), answered, answer.edits, answer.applied)  # fmt: skip


def summarise(results: list[EditScore]) -> dict[str, Any]:
    """Shares (exact_match, parses, applies over the rows that have edits to apply) and
    the mean edit similarity."""
    applying = [r.applies for r in results if r.applies is not None]
    return {
        "rows": len(results),
        "exact_match": share([r.exact_match for r in results]),
        "edit_similarity": mean([r.edit_similarity for r in results]),
        "parses": share([r.parses for r in results]),
        "applies": share(applying) if applying else None,
        "units": sum(r.units for r in results),
        "units_answered": sum(r.units_answered for r in results),
    }
