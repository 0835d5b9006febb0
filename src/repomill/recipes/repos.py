"""`repomill build RECIPE --repos FILE`: many repositories, one dataset.

Each repository is built as a build of its own, into OUT/repos/NAME/ (its own cache, so a
re-run redoes only what changed, and its own manifest, card and report). Their rows are
then put together into OUT/dataset/:
- splits: `time` keeps each repository's own split (its newest history is its test rows);
  `repo` holds whole repositories out, test first then validation, taking repositories
  in the order of a hash of their names until each split has its share of the rows;
- copies across repositories (a vendored file, a fork) are removed: of each cluster of
  exact or near duplicates, the copy from the repository listed first is kept (list an
  upstream before its forks), so no copy is left to leak across splits;
- the card lists the repositories and what each gave, and OUT/report.html shows the
  whole dataset. Every row's `repo` column names its repository already."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Literal

from repomill.code.settings import IndexConfig
from repomill.curate.settings import CurateConfig
from repomill.curate.steps import Deduplicator
from repomill.engine import Manifest, make_executor
from repomill.engine.keys import stable_hash
from repomill.engine.settings import EngineConfig
from repomill.export.card import dataset_card
from repomill.export.read import DATASET_DIR, read_dataset
from repomill.export.records import Rejected
from repomill.export.report import write_report
from repomill.export.schema import SPLITS, sample_schema
from repomill.export.trainers import split_bytes, write_dataset_info
from repomill.export.writer import NOWHERE, DatasetWriter, write_rejected
from repomill.llm.factory import LLMConfig
from repomill.recipes.base import Recipe
from repomill.recipes.run import run_recipe
from repomill.sources.repo_list import RepoEntry

SplitBy = Literal["time", "repo"]
CROSS_DEDUP = "curate.dedup_across_repos"


def run_repos(recipe: Recipe, entries: list[RepoEntry], settings: Any, index: IndexConfig,
              curate: CurateConfig, llm: LLMConfig | None, out: Path, show_progress: bool,
              engine: EngineConfig, split_by: SplitBy = "time") -> Manifest:  # fmt: skip
    """Build each repository, then the one dataset; returns the manifest written."""
    built: list[tuple[RepoEntry, dict[str, list[dict[str, Any]]], Manifest]] = []
    # one pool for all the builds: Ray joined and its workers started once, not per
    # repository, and each worker keeps its parsers from one repository to the next
    executor = make_executor(index.workers, recipe.preload, engine)
    try:
        for entry in entries:
            sub = out / "repos" / entry.name
            sub.mkdir(parents=True, exist_ok=True)
            manifest = run_recipe(recipe, entry.source(), settings, index,
                                  curate, llm, sub, show_progress, engine, executor)  # fmt: skip
            built.append((entry, read_dataset(sub), manifest))
    finally:
        executor.close()
    rows, routes, names = [], [], []
    for entry, splits, _ in built:
        for split, split_rows in splits.items():
            rows.extend(split_rows)
            routes.extend([split] * len(split_rows))
            names.extend([entry.name] * len(split_rows))
    dropped = _dedup(rows, routes, names, curate) if curate.enabled and curate.dedup else {}
    if split_by == "repo":  # on what is kept: a repository of copies holds nothing out
        kept = Counter(name for position, name in enumerate(names) if position not in dropped)
        split_of = _repo_splits([entry.name for entry, _, _ in built], kept, settings)
        routes = [split_of[name] for name in names]
    rejected = []
    for position, reason in sorted(dropped.items()):
        routes[position] = NOWHERE
        row = rows[position]
        rejected.append(Rejected(row["id"], row["recipe"], row["commit"], reason, CROSS_DEDUP,
                                 {"repo": names[position]}).row())  # fmt: skip
    return _write(recipe, built, rows, routes, names, rejected, settings, out, split_by)


def _repo_splits(names: list[str], sizes: Counter, settings) -> dict[str, str]:
    """Each repository's split when whole repositories are held out: in the order of a
    hash of their names, test then validation take repositories until they have their
    share of the rows; one repository with rows is always left for train."""
    total = sum(sizes.values())
    order = sorted((name for name in names if sizes[name]), key=lambda n: stable_hash("split", n))
    assigned = dict.fromkeys(names, "train")
    for split, share in (("test", settings.test), ("validation", settings.validation)):
        got = 0
        while got < share * total and len(order) > 1:
            name = order.pop(0)
            assigned[name], got = split, got + sizes[name]
    return assigned


def _dedup(rows: list[dict[str, Any]], routes: list[str], names: list[str],
           curate: CurateConfig) -> dict[int, str]:  # fmt: skip
    """Of each cluster of copies, the one from the repository listed first is kept (each
    repository's own build has no copies left), so a fork listed after its upstream
    loses the shared history and the upstream keeps all its splits."""
    dedup = Deduplicator(curate.near_threshold)
    for row in rows:
        dedup.add(row)
    listed = {name: n for n, name in enumerate(dict.fromkeys(names))}
    ranks = [listed[name] for name in names]
    orders = [(SPLITS.index(route), position) for position, route in enumerate(routes)]
    dropped = dedup.drop(ranks, orders)
    # ranks are repositories here: a copy across ranks is a copy in another repository
    return {position: "duplicate_across_repos" if reason == "duplicate_across_splits" else reason
            for position, reason in dropped.items()}  # fmt: skip


def _write(recipe, built, rows, routes, names, rejected, settings, out, split_by) -> Manifest:
    schema = sample_schema(recipe.columns)
    writer = DatasetWriter(out, schema, settings.format)
    for row in rows:
        writer.add(row, 0, "")
    splits = writer.write(routes)
    write_rejected(out, rejected, settings.format)
    dataset = out / DATASET_DIR
    dataset.mkdir(exist_ok=True)
    write_dataset_info(dataset, recipe.name.replace("-", "_"))
    per_repo = Counter()
    for name, route in zip(names, routes, strict=True):
        per_repo[(name, route)] += 1
    table = ["| repository | revision | " + " | ".join(SPLITS) + " | duplicates of another |",
             "|---|---|" + "---|" * (len(SPLITS) + 1)]  # fmt: skip
    for entry, _, manifest in built:
        revision = (manifest.source.get("commit") or "")[:12]
        cells = " | ".join(str(per_repo[(entry.name, split)]) for split in SPLITS)
        table.append(f"| {entry.location} | {revision} | {cells} | "
                     f"{per_repo[(entry.name, NOWHERE)]} |")  # fmt: skip
    how = ("each repository's newest rows are its validation and test rows" if split_by == "time"
           else "whole repositories are held out for validation and test")  # fmt: skip
    sections = {
        "Repositories": "\n".join(table) + f"\n\nSplits: {how}. Each repository's own build "
                        "(card, report, rejected rows) is in `repos/NAME/` beside this folder.",
    }  # fmt: skip
    title = f"{len(built)} repositories: {recipe.title}"
    card = dataset_card(title, schema, splits, settings.format, sections, split_bytes(dataset))
    (dataset / "README.md").write_text(card, encoding="utf-8")
    manifest = Manifest(f"build {recipe.name} --repos",
                        {"split_by": split_by, "repos": [e.location for e, _, _ in built]},
                        {"repos": [m.source for _, _, m in built]})  # fmt: skip
    manifest.counts = {
        "examples": sum(splits.values()), "splits": splits,
        # the repositories' own rejections, and the copies removed across them
        "rejected": dict(sorted(sum((Counter(m.counts["rejected"]) for _, _, m in built),
                                    Counter(row["reason"] for row in rejected)).items())),
        "repos": {entry.name: {split: per_repo[(entry.name, split)] for split in SPLITS}
                  for entry, _, _ in built},
        "funnel": [["rows of the repositories' builds", len(rows)],
                   ["after deduplication across repositories", len(rows) - len(rejected)],
                   ["exported", sum(splits.values())]],
    }  # fmt: skip
    for _, _, sub in built:
        manifest.warnings.extend(sub.warnings)
    manifest.write(out)
    write_report(out, title)
    return manifest
