"""Free repo-QA answers (`task` `qa` or `design`): the checks the recipe makes of a model's
answer, made of a generated one, each failure a reason code (with a detail, e.g. to feed
back to the model when an answer is retried):

- citations (`check_citations`): well formed, each covered by the row's evidence entries,
  and every claim cites (not asked of designs, as the recipe does not), and there is at
  least one: `malformed_citation`, `citation_not_in_evidence`, `uncited_answer`,
  `empty_answer`.
- existence (`check_evidence`): each cited chunk exists at the row's commit
  (`chunks_by_id`, the index's chunks, and the row's own evidence, which the build checked)
  with the cited lines inside it, and its file (`read`) is the one indexed:
  `unknown_chunk`, `lines_outside_chunk`, `stale_chunk`, `unreadable_evidence`. At most
  MAX_CHECKED distinct citations are checked (`too_many_citations` beyond).
- quotes (not for designs, whose code is new): each fenced block is verbatim lines of a
  cited range (each line compared stripped, so indentation may differ): `altered_snippet`.
- identifiers (`identifiers.resolves` against `known`, from `known_identifiers` of the
  commit's index): `hallucinated_identifier`. A design's declared new components (its
  `New components` lines, `Name (layer)`) need not exist. Without `known` (None: the
  repository is not at hand) no identifier is checked.

An answer's citations are valid (`citations_ok`) when all but the identifier check pass."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

from repomill.evaluate.rows import mean, share
from repomill.verify import markdown
from repomill.verify.citations import Citation, check_citations, citations
from repomill.verify.evidence import check_evidence, file_lines
from repomill.verify.identifiers import names_detail, qualified_names, resolves

MAX_CHECKED = 256
IDENTIFIER_REASONS = frozenset({"hallucinated_identifier"})
_NEW_HEADING = re.compile(r"^\W*new components\W*$", re.I)
_NEW = re.compile(r"^[-*\d.\s]*`?([A-Za-z_][\w.]*)`?\s*\(([\w -]+)\)")


class _Checked:
    reasons: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.reasons


@dataclass(frozen=True)
class CitationScore(_Checked):
    citations: int  # distinct well-formed citations in the answer
    in_evidence: int  # of them, covered by the row's evidence
    existing: int  # of them, naming lines of a chunk that exists at the commit
    quotes: int  # fenced code blocks checked as quotes
    verbatim: int  # of them, exactly lines of a cited range
    reasons: tuple[str, ...] = ()  # the failed checks' reason codes, in check order
    details: tuple[str, ...] = ()  # what each reason is about


@dataclass(frozen=True)
class IdentifierScore(_Checked):
    named: int  # distinct code names the answer uses
    hallucinated: tuple[str, ...] = ()  # of them, those that do not exist
    reasons: tuple[str, ...] = ()
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class FreeAnswerScore(_Checked):
    """Both checks' numbers, and their reasons: citations' first, then identifiers'."""

    citations: int
    in_evidence: int
    existing: int
    quotes: int
    verbatim: int
    named: int
    hallucinated: tuple[str, ...]
    reasons: tuple[str, ...]
    details: tuple[str, ...]

    @property
    def citations_ok(self) -> bool:
        """Whether the citation, existence and quote checks pass (identifiers aside)."""
        return all(reason in IDENTIFIER_REASONS for reason in self.reasons)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def free_answer_checks(
    row: dict[str, Any],
    generated: str,
    chunks_by_id: dict[str, dict],
    read: Callable[[str], bytes],
    known: set[str] | None,
) -> FreeAnswerScore:
    """Every check of a free answer to `row`; `read` gives a file of the row's commit;
    `known` None: identifiers not checked."""
    cited = citation_checks(row, generated, chunks_by_id, read)
    names = identifier_checks(row, generated, known) if known is not None else IdentifierScore(0)
    both = {**asdict(cited), **asdict(names)}
    both.update(reasons=cited.reasons + names.reasons, details=cited.details + names.details)
    return FreeAnswerScore(**both)


def citation_checks(row: dict[str, Any], generated: str, chunks_by_id: dict[str, dict],
                    read: Callable[[str], bytes]) -> CitationScore:  # fmt: skip
    """Citations, existence and quotes (see the module docstring)."""
    answer = generated if isinstance(generated, str) else ""
    design = row.get("task") == "design"
    problems: list[tuple[str, str]] = []
    evidence = [e for e in row.get("evidence") or [] if isinstance(e, dict)]
    cited = list(dict.fromkeys(citations(answer)))
    problem = check_citations(answer, evidence)
    if problem and design and problem.reason == "uncited_answer":
        problem = None
    if problem or not cited:
        problems.append((problem.reason, problem.detail) if problem else ("uncited_answer",
                                                                        "no citation"))  # fmt: skip
    in_evidence = sum(1 for c in cited if _covered(c, evidence))
    ranges, problem = _existing(cited, {**_chunks(evidence), **chunks_by_id}, cache(read))
    problems += [problem] if problem else []
    quotes = [] if design else _quotes(answer)
    verbatim = sum(1 for quote in quotes if any(_within(quote, lines) for lines in ranges))
    if verbatim < len(quotes):
        problems.append(("altered_snippet", f"{len(quotes) - verbatim} quoted block(s)"))
    return CitationScore(len(cited), in_evidence, len(ranges), len(quotes), verbatim,
                         tuple(r for r, _ in problems), tuple(d for _, d in problems))  # fmt: skip


def identifier_checks(row: dict[str, Any], generated: str, known: set[str]) -> IdentifierScore:
    """The answer's code names that do not exist (a design's declared new ones may not)."""
    answer = generated if isinstance(generated, str) else ""
    declared = declared_components(answer) if row.get("task") == "design" else set()
    names = qualified_names(answer)
    bad = tuple(name for name in names if not resolves(name, known, declared))
    if not bad:
        return IdentifierScore(len(names))
    return IdentifierScore(len(names), bad, ("hallucinated_identifier",),
                           (names_detail(list(bad)),))  # fmt: skip


def _covered(citation: Citation, evidence: list[dict[str, Any]]) -> bool:
    for entry in evidence:
        if entry.get("chunk_id") != citation.chunk_id:
            continue
        if citation.start_line is None or citation.end_line is None:
            return True
        start, end = entry.get("start_line"), entry.get("end_line")
        lines = isinstance(start, int) and isinstance(end, int)
        if lines and start <= citation.start_line and citation.end_line <= end:
            return True
    return False


def _chunks(evidence: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    keys = ("chunk_id", "path", "start_line", "end_line")
    return {e["chunk_id"]: {k: e.get(k) for k in keys} for e in evidence if "chunk_id" in e}


def _existing(cited: list[Citation], chunks: dict[str, dict], read: Callable[[str], bytes]
              ) -> tuple[list[list[str]], tuple[str, str] | None]:  # fmt: skip
    """The stripped lines of each cited range that exists, and the first problem."""
    ranges: list[list[str]] = []
    first: tuple[str, str] | None = None
    for position, citation in enumerate(cited):
        if position >= MAX_CHECKED:
            first = first or ("too_many_citations", f"{len(cited)} distinct citations")
            break
        chunk = chunks.get(citation.chunk_id)
        if not isinstance(chunk, dict):
            first = first or ("unknown_chunk", citation.chunk_id)
            continue
        start = citation.start_line if citation.start_line is not None else chunk.get("start_line")
        end = citation.end_line if citation.end_line is not None else chunk.get("end_line")
        entry = {"chunk_id": citation.chunk_id, "path": chunk.get("path") or "",
                 "start_line": start, "end_line": end}  # fmt: skip
        problem = check_evidence([entry], chunks, read)
        if problem is None:
            lines = file_lines(read(entry["path"]))[start - 1 : end]
            ranges.append([line.strip() for line in lines])
        else:
            first = first or (problem.reason, problem.detail)
    return ranges, first


def _quotes(answer: str) -> list[list[str]]:
    """Each fenced block's stripped lines, blank lines at its ends dropped."""
    quotes = []
    for _, body in markdown.parse(answer).code_blocks:
        lines = [line.strip() for line in body.split("\n")]
        while lines and not lines[-1]:
            lines.pop()
        while lines and not lines[0]:
            lines.pop(0)
        if lines:
            quotes.append(lines)
    return quotes


def _within(quote: list[str], lines: list[str]) -> bool:
    return "\n" + "\n".join(quote) + "\n" in "\n" + "\n".join(lines) + "\n"


def declared_components(answer: str) -> set[str]:
    """The new components a design answer declares: `Name (layer)` lines under its
    `New components` heading, up to the next heading or bold title."""
    found: set[str] = set()
    under = False
    for line in answer.split("\n"):
        if _NEW_HEADING.match(line.strip()):
            under = True
        elif under and line.lstrip().startswith(("**", "#")):
            under = False
        elif under and (match := _NEW.match(line)):
            found.add(match.group(1))
    return found


def summarise(results: Iterable[FreeAnswerScore]) -> dict[str, Any]:
    """Shares of answers passing all checks and each, per-reason counts, and the means of
    the shares of citations in evidence and existing."""
    results = list(results)
    reasons = Counter(reason for r in results for reason in dict.fromkeys(r.reasons))
    cited = [r for r in results if r.citations]
    return {
        "rows": len(results),
        "ok": share([r.ok for r in results]),
        "citations_in_evidence": mean([r.in_evidence / r.citations for r in cited]),
        "citations_existing": mean([r.existing / r.citations for r in cited]),
        "verbatim_quotes": mean([r.verbatim / r.quotes for r in results if r.quotes]),
        "hallucinating": share([bool(r.hallucinated) for r in results]),
        "reasons": dict(sorted(reasons.items())),
    }
