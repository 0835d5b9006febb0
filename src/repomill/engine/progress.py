"""Progress bars on the terminal (rich): one per stage or model phase, with done/total,
elapsed time and, where the work runs at a rate, the time left."""

from __future__ import annotations

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


def progress_bar(label: str, show: bool, *, rate: bool = False, keep: bool = False) -> Progress:
    """A bar named `label`, drawn only when `show`. `rate`: a task field `rate` (text, e.g.
    "12.5 tokens/s") is shown, and the time left. `keep`: the finished bar stays on the
    terminal (a phase's record); otherwise it is cleared."""
    columns = [TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn()]
    if rate:
        columns.append(TextColumn("{task.fields[rate]}"))
    columns.append(TimeElapsedColumn())
    if rate:
        columns.append(TimeRemainingColumn())
    return Progress(*columns, transient=not keep, disable=not show)
