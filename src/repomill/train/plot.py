"""The loss curve as a PNG (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def loss_curve(history: list[dict[str, Any]], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4))
    for key, label in (("loss", "train"), ("eval_loss", "validation")):
        points = [(h["step"], h[key]) for h in history if key in h]
        if points:
            axes.plot(*zip(*points, strict=True), marker="o", markersize=3, label=label)
    axes.set_xlabel("step")
    axes.set_ylabel("loss (completion tokens)")
    axes.legend()
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
