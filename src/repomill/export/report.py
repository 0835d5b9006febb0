"""The HTML report: one self-contained file (`DIR/report.html`, no network) with the funnel
of counts through each stage, rejection reasons, token-length histograms per split, the
language mix, a sample browser (search; filter by split, recipe and language; evidence
shown as code at its lines), and, for a repo-QA build, the domain map."""

from __future__ import annotations

import base64
import html
import json
from collections import Counter, defaultdict
from pathlib import Path
from string import Template
from typing import Any

from repomill.errors import UserError
from repomill.export.read import read_dataset

MAX_SAMPLES = 1500  # embedded in the page, spread over the splits
MAX_CONTENT_CHARS = 12_000  # per message or code field shown
HISTOGRAM_BINS = 24


def _clip(text: str) -> str:
    if len(text) <= MAX_CONTENT_CHARS:
        return text
    return text[:MAX_CONTENT_CHARS] + f"\n… ({len(text) - MAX_CONTENT_CHARS} more characters)"


def _browsable(row: dict[str, Any], split: str) -> dict[str, Any]:
    units = [{k: u[k] for k in ("path", "symbol", "kind", "old_start_line", "new_start_line")}
             for u in row.get("units") or []]  # fmt: skip
    context = [{k: c[k] for k in ("path", "symbol", "kind", "start_line", "end_line")}
               for c in row.get("context") or []]  # fmt: skip
    return {
        "id": row["id"],
        "split": split,
        "recipe": row["recipe"],
        "language": row["language"],
        "commit": row.get("commit", ""),
        "num_tokens": row.get("num_tokens", 0),
        "messages": [{"role": m["role"], "content": _clip(m["content"])} for m in row["messages"]],
        "units": units,
        "context": context,
        "evidence": row.get("evidence") or [],
        "snippets": [
            {**snippet, "text": _clip(snippet["text"])} for snippet in row.get("snippets") or []
        ],
    }


def _histogram(values: list[int]) -> dict[str, Any]:
    top = max(values, default=0)
    width = max(1.0, top / HISTOGRAM_BINS)
    bins = [0] * HISTOGRAM_BINS
    for value in values:
        bins[min(int(value / width), HISTOGRAM_BINS - 1)] += 1
    return {"bins": bins, "width": width, "max": top, "count": len(values)}


def report_data(out: Path) -> dict[str, Any]:
    manifest_path = out / "manifest.json"
    if not manifest_path.is_file():
        raise UserError(f"{out}: no manifest.json (not a repomill build output)")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    counts = manifest.get("counts", {})
    splits, histograms, samples = {}, {}, []
    languages: dict[str, Counter[str]] = defaultdict(Counter)
    dataset = read_dataset(out)
    per_split = MAX_SAMPLES // max(1, len(dataset))
    total = 0
    for split, rows in dataset.items():
        splits[split] = len(rows)
        total += len(rows)
        histograms[split] = _histogram([row.get("num_tokens", 0) for row in rows])
        for row in rows:
            languages[row["language"]][split] += 1
        samples += [_browsable(row, split) for row in rows[:per_split]]
    rejected = Counter(counts.get("rejected", {}))
    funnel = [[label, n] for label, n in counts.get("funnel", [])]
    return {
        "splits": splits,
        "funnel": funnel,
        "reasons": rejected.most_common(),
        "rejected_total": sum(rejected.values()),
        "histograms": histograms,
        "languages": {k: dict(v) for k, v in sorted(languages.items())},
        "samples": samples,
        "total_samples": total,
        "domains": _domains(out),
        "evaluation": _evaluation(out),
    }


def _evaluation(out: Path) -> dict[str, str] | None:
    """`repomill eval`'s table and chart for this dataset (DIR/eval/), if it ran."""
    table, picture = out / "eval" / "eval.md", out / "eval" / "eval.png"
    if not table.is_file():
        return None
    png = base64.b64encode(picture.read_bytes()).decode() if picture.is_file() else ""
    return {"table": table.read_text(encoding="utf-8"), "png": png}


def _domains(out: Path) -> dict[str, Any] | None:
    """The domain map a repo-QA build wrote (DIR/domains.json), if any."""
    path = out / "domains.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def write_report(out: Path, title: str) -> Path:
    template = Template((Path(__file__).parent / "report.html").read_text(encoding="utf-8"))
    payload = json.dumps(report_data(out), ensure_ascii=False, sort_keys=True)
    # Inside <script>, "</" could close the element early; "<\/" means the same in JSON.
    page = template.substitute(title=html.escape(title, quote=False),
                               data=payload.replace("</", "<\\/"))  # fmt: skip
    path = out / "report.html"
    path.write_text(page, encoding="utf-8")
    return path
