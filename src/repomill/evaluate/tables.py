"""An evaluation's results as a markdown table (one row per task and model variant), with
the run's notes (e.g. checks it could not make) above, and a PNG chart of each task's
headline figure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

HEADLINE = {"commits": "exact_match", "self-align": "pass_at_1",
            "repo-qa:qa_exact": "accuracy", "repo-qa:qa": "accepted",
            "repo-qa:design": "accepted"}  # fmt: skip


def markdown_table(report: dict[str, Any]) -> str:
    tuned = f" with `{report['adapter']}`" if report["adapter"] else ""
    lines = [f"Evaluation of `{report['model']}`{tuned} on {report['test_rows']} test rows.", ""]
    lines += [f"- Note: {note}" for note in report.get("notes") or []]
    lines += [""] if report.get("notes") else []
    for task, variants in report["tasks"].items():
        keys = [k for k in next(iter(variants.values())) if k != "rows"]
        lines += [f"### {task}", "", "| variant | rows | " + " | ".join(keys) + " |",
                  "|---" * (len(keys) + 2) + "|"]  # fmt: skip
        for name, summary in variants.items():
            cells = [_cell(summary.get(k)) for k in keys]
            lines.append(f"| {name} | {summary.get('rows', '')} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, dict):  # e.g. failures by reason
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return "" if value is None else str(value)


def chart(report: dict[str, Any], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    tasks = [t for t in report["tasks"] if t in HEADLINE]
    figure, axes = plt.subplots(figsize=(7, 4))
    variants = sorted({v for t in tasks for v in report["tasks"][t]})
    width = 0.8 / max(1, len(variants))
    for i, variant in enumerate(variants):
        values = [report["tasks"][t].get(variant, {}).get(HEADLINE[t]) or 0 for t in tasks]
        axes.bar([x + i * width for x in range(len(tasks))], values, width, label=variant)
    axes.set_xticks([x + width * (len(variants) - 1) / 2 for x in range(len(tasks))],
                    [f"{t}\n{HEADLINE[t]}" for t in tasks])  # fmt: skip
    axes.set_ylim(0, 1)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
