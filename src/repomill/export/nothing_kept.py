"""A build that exports no rows is a failure the user must hear about, with the reason:
its manifest, card and rejected records are written, but there is no data/ to load."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from repomill.errors import UserError

TOP_REASONS = 3


def require_rows(counts: dict[str, Any], out: Path, no_input: str,
                 reasons: dict[str, int], hint: str = "") -> None:  # fmt: skip
    """Raise a one-line UserError when `counts` (a build manifest's) has no examples.

    `no_input` says why when the funnel's first step is already empty (e.g. "no commits in
    the range"); otherwise the line names the first step that kept nothing and the most
    common of `reasons` (rejection reason -> count), then `hint` (what to try), if any."""
    if counts["examples"]:
        return
    (label, listed), *steps = counts["funnel"]
    if not listed:
        raise UserError(f"nothing to export: {no_input}")
    lost = next((step for step, n in steps if not n), "exported")
    top = ", ".join(f"{reason}: {n}" for reason, n in Counter(reasons).most_common(TOP_REASONS))
    rejected = next(iter(sorted(out.glob("rejected.*"))), out / "manifest.json")
    why = f"top reasons: {top}; " if top else ""
    hint = f"; {hint}" if hint else ""
    raise UserError(f"nothing to export: of {listed} {label}, 0 {lost} ({why}see {rejected})"
                    f"{hint}")  # fmt: skip
