"""What training shows while it runs: one short line per logged step (step, loss,
validation loss) instead of the Trainer's printed dicts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def progress_callback(show: Callable[[str], None]):
    """A TrainerCallback that passes `show` a line per log: `step 4/60 · loss 0.812`
    (the validation loss measured before training: `before training · validation loss …`)."""
    from transformers import TrainerCallback

    class Progress(TrainerCallback):
        def on_log(self, args, state, control, logs: dict[str, Any] | None = None, **kwargs):
            line = _line(state.global_step, state.max_steps, logs or {})
            if line:
                show(line)

    return Progress()


def _line(step: int, steps: int, logs: dict[str, Any]) -> str:
    parts = [f"{name} {logs[key]:.4f}" for key, name in
             (("loss", "loss"), ("eval_loss", "validation loss")) if key in logs]  # fmt: skip
    if not parts:
        return ""
    where = f"step {step}/{steps}" if step else "before training"
    return f"{where} · " + " · ".join(parts)
