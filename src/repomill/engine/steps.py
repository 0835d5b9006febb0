"""Steps that count themselves. A `Step` takes one row and returns it (maybe changed) or a
`Dropped` with the reason; a `Filter` is a step that only decides. A `StepChain` runs its
steps in order over each row, and for each step counts rows in and out, the reasons it
dropped, and the time it took, as a `StageRun` for the manifest: no caller tallies by hand.
A dropped row goes to the one rejected sink the chain was given."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from repomill.engine.runner import StageRun

Row = dict[str, Any]


@dataclass(frozen=True)
class Dropped:
    reason: str
    detail: dict[str, Any] = field(default_factory=dict)


class Step:
    """Subclasses set `name` (the manifest's stage name, also the rejected rows' `stage`)
    and `label` (the funnel's words for the rows left after it), and implement `apply`."""

    name: ClassVar[str]
    label: ClassVar[str]

    def apply(self, row: Row) -> Row | Dropped:
        raise NotImplementedError

    def summary(self) -> dict[str, Any]:
        """What the step counted beyond rows and reasons (e.g. redactions made)."""
        return {}


class Filter(Step):
    """A step that keeps a row unchanged or drops it: implement `reason`."""

    def reason(self, row: Row) -> str | None:
        raise NotImplementedError

    def detail(self, row: Row, reason: str) -> dict[str, Any]:
        """What the rejected row records of why (default nothing)."""
        return {}

    def apply(self, row: Row) -> Row | Dropped:
        reason = self.reason(row)
        return row if reason is None else Dropped(reason, self.detail(row, reason))


class StepChain:
    def __init__(self, steps: list[Step], on_drop: Callable[[Row, Step, Dropped], None]):
        self.steps = steps
        self.runs = [StageRun(step.name, 1) for step in steps]
        self._on_drop = on_drop

    def run(self, row: Row) -> Row | None:
        """The row after every step, or None when one dropped it (and sent it on)."""
        for step, run in zip(self.steps, self.runs, strict=True):
            started = time.perf_counter()
            run.items_in += 1
            result = step.apply(row)
            run.seconds += time.perf_counter() - started
            if isinstance(result, Dropped):
                run.skipped[result.reason] += 1
                self._on_drop(row, step, result)
                return None
            run.records_out += 1
            row = result
        return row
