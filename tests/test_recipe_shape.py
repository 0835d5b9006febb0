"""A recipe is one class and one registry entry: a tiny recipe registered at run time
builds a whole dataset (card, report, manifest, rejected rows) and gets a CLI command and
a config table, with no other module touched. Rows must have exactly the declared columns,
and steps count what they drop."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pyarrow as pa
import pytest
from pydantic import Field
from typer.testing import CliRunner

from repomill.cli import make_app
from repomill.config import load_config
from repomill.engine.steps import Filter, StepChain
from repomill.export.read import read_dataset, read_rejected
from repomill.export.records import Rejected, Sample, SchemaMismatch
from repomill.llm.factory import LLMConfig
from repomill.recipes.base import RecipeContext, RecipeSettings
from repomill.recipes.registry import RECIPES, register
from repomill.sources.files import list_entries, read_entry

from .builds import build_recipe
from .conftest import make_repo


class LinesSettings(RecipeSettings):
    min_lines: int = Field(2, ge=1, description="files with fewer lines are rejected")


class LinesRecipe:
    """One sample per text file: its line count (a toy recipe for the tests)."""

    name = "lines"
    title = "line counts"
    settings = LinesSettings
    columns = [("lines", pa.int32())]
    identifiers = frozenset()
    group_noun = "files"
    needs_llm = False
    llm_optional = False
    disjoint_evidence = False
    no_input = "no files"
    preload = ()
    extra_column: str | None = None  # set by a test: fill a column never declared

    def samples(self, ctx: RecipeContext) -> Iterator[Sample | Rejected]:
        entries = list_entries(ctx.source)
        ctx.funnel.append(["files listed", len(entries)])
        for n, entry in enumerate(entries):
            text = read_entry(ctx.source, entry).decode()
            lines = text.count("\n")
            if lines < ctx.settings.min_lines:
                yield Rejected(f"id-{entry.path}", self.name, "", "too_short", "lines",
                               {"path": entry.path})  # fmt: skip
                continue
            columns = {"lines": lines} | ({self.extra_column: 1} if self.extra_column else {})
            messages = [{"role": "user", "content": f"How many lines has {entry.path}?\n{text}"},
                        {"role": "assistant", "content": str(lines)}]  # fmt: skip
            yield Sample(f"id-{entry.path}", self.name, "count", messages, "text", "repo", "",
                         [], {"path": entry.path}, time=n, group=entry.path, columns=columns)  # fmt: skip

    def nothing_kept_hint(self, llm: LLMConfig | None) -> str:
        return ""

    def card(self, ctx: RecipeContext) -> dict[str, str]:
        return {"How it was made": "Counted the lines of each file."}


@pytest.fixture
def lines_recipe():
    recipe = register(LinesRecipe())
    yield recipe
    del RECIPES[recipe.name]


FILES = {f"notes/{i}.txt": f"note {i}\n" * (i + 1) for i in range(12)}


def test_a_recipe_registered_at_run_time_builds_a_whole_dataset(lines_recipe, tmp_path):
    repo = make_repo(tmp_path / "repo", FILES)
    out = tmp_path / "out"
    manifest = build_recipe("lines", repo, out, LinesSettings(min_lines=3, test=0.2)).to_json()
    for name in ("report.html", "manifest.json", "rejected.parquet"):
        assert (out / name).is_file(), name
    # the dataset folder holds the dataset alone, as it is uploaded: no cache, no report
    dataset = sorted(str(p.relative_to(out / "dataset")) for p in (out / "dataset").rglob("*"))
    assert dataset == ["README.md", "data", "data/test-00000-of-00001.parquet",
                       "data/train-00000-of-00001.parquet",
                       "data/validation-00000-of-00001.parquet", "dataset_info.json"]  # fmt: skip
    rows = [row for split in read_dataset(out).values() for row in split]
    assert sorted(row["lines"] for row in rows) == list(range(3, 13))
    assert {r["reason"] for r in read_rejected(out)} == {"too_short"}
    counts = manifest["counts"]
    assert counts["rejected"] == {"too_short": 2} and counts["files_kept"] == 10
    assert counts["funnel"][:3] == [
        ["files listed", 12],
        ["samples built", 10],
        ["within the token budget", 10],
    ]
    assert counts["funnel"][-1] == ["exported", 10]
    assert manifest["command"] == "build lines" and manifest["config"]["lines"]["min_lines"] == 3
    card = (out / "dataset" / "README.md").read_text()
    assert "# repo: line counts" in card and "name: lines" in card and "Counted the lines" in card


def test_a_row_over_the_token_budget_is_left_out_never_cut(lines_recipe, tmp_path):
    repo = make_repo(tmp_path / "repo", {**FILES, "notes/long.txt": "many words here\n" * 400})
    out = tmp_path / "out"
    settings = LinesSettings(min_lines=3, test=0.2, max_tokens=256)
    counts = build_recipe("lines", repo, out, settings).to_json()["counts"]
    over = [r for r in read_rejected(out) if r["reason"] == "over_token_budget"]
    assert [json.loads(r["meta"])["path"] for r in over] == ["notes/long.txt"]
    assert json.loads(over[0]["meta"])["max_tokens"] == 256 and over[0]["stage"] == "export.budget"
    rows = [row for split in read_dataset(out).values() for row in split]
    assert len(rows) == 10 and all(r["prompt_tokens"] + r["completion_tokens"] <= 256 for r in rows)
    assert ["within the token budget", 10] in counts["funnel"]
    assert "no row has more than 256 tokens" in (out / "dataset" / "README.md").read_text()


def test_a_registered_recipe_gets_a_command_and_a_config_table(lines_recipe, tmp_path):
    repo = make_repo(tmp_path / "repo", FILES)
    config = tmp_path / "repomill.toml"
    config.write_text("[lines]\nmin_lines = 11\n")
    assert load_config(config).lines.min_lines == 11
    runner = CliRunner()
    args = ["build", "lines", str(repo), "--out", str(tmp_path / "out"), "--quiet"]
    done = runner.invoke(make_app(), [*args, "--config", str(config), "--min-lines", "12"])
    assert done.exit_code == 0, done.output
    assert len(read_dataset(tmp_path / "out")["train"]) == 1  # the flag beats the file
    bad = runner.invoke(make_app(), [*args, "--min-lines", "0"])
    assert bad.exit_code == 2 and "--min-lines" in bad.output


@pytest.mark.parametrize("extra", [None, "undeclared"])
def test_rows_must_have_exactly_the_declared_columns(lines_recipe, tmp_path, monkeypatch, extra):
    repo = make_repo(tmp_path / "repo", FILES)
    monkeypatch.setattr(LinesRecipe, "extra_column", extra)
    if extra is None:  # declared but never filled
        monkeypatch.setattr(LinesRecipe, "columns", [("lines", pa.int32()), ("words", pa.int32())])
    with pytest.raises(SchemaMismatch, match="words" if extra is None else "undeclared"):
        build_recipe("lines", repo, tmp_path / "out")


def test_a_chain_counts_what_each_step_drops_and_sends_it_on():
    class Odd(Filter):
        name, label = "odd", "even rows"

        def reason(self, row):
            return "odd" if row["n"] % 2 else None

    dropped = []
    chain = StepChain([Odd()], lambda row, step, why: dropped.append((row["n"], why.reason)))
    kept = [chain.run({"n": n}) for n in range(5)]
    assert [row["n"] for row in kept if row] == [0, 2, 4] and dropped == [(1, "odd"), (3, "odd")]
    run = chain.runs[0].to_json()
    assert (run["items_in"], run["records_out"], run["skipped"]) == (5, 3, {"odd": 2})


def test_the_shared_recipes_are_registered_with_their_own_settings():
    assert {"commits", "self-align"} <= RECIPES.keys()
    for recipe in RECIPES.values():
        assert issubclass(recipe.settings, RecipeSettings)
        json.dumps(recipe.settings().model_dump())
