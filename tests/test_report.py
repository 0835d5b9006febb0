"""The build's curation end to end (planted secrets never reach any output) and the HTML
report, opened in a real headless Chromium."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from repomill.curate.settings import CurateConfig
from repomill.recipes.commits.settings import CommitsConfig

from .builds import build_recipe
from .conftest import commit, make_repo
from .test_curate import PLANTED

T0 = 1_700_000_000
DAY = 86_400

SERVICE = '''import os


def connect(url=None):
    """Open the database connection."""
    url = url or os.environ["DATABASE_URL"]
    return url
'''


def planted_history(root: Path) -> Path:
    make_repo(root, {"service.py": SERVICE}, "Create the service module with connect")
    aws, github = "AKIAIOSFODNN7EXAMPLE", "ghp_R8fZq2LmT5vXw9YbN3cK7dHs1JpU4eGa6oQi"
    commit(root, {"service.py": SERVICE.replace('url = url or', f'key = "{aws}"\n    url = url or')},
           "Use the deploy key when connecting", when=T0 + DAY)  # fmt: skip
    commit(root, {"service.py": SERVICE + f"\n\n# {github} for dev.lead@example.org\n"
                  "def ping():\n    return connect('postgres://app:s3cr3tP4ssw0rd@db:5432/a')\n"},
           "Add a ping helper for the ops team", when=T0 + 2 * DAY)  # fmt: skip
    commit(root, {"service.py": SERVICE.replace("return url", "return url.strip()")},
           "Strip whitespace around the URL (mail dev.lead@example.org)", when=T0 + 3 * DAY)  # fmt: skip
    return root


def build(repo: Path, out: Path, **curate) -> dict:
    config = CommitsConfig(validation=0, test=0, target="udiff")
    return build_recipe("commits", repo, out, config, curate=CurateConfig(**curate)).to_json()


def every_output_text(out: Path) -> str:
    texts = [json.dumps(pq.read_table(p).to_pylist(), default=str)
             for p in sorted(out.rglob("*.parquet")) if ".cache" not in p.parts]  # fmt: skip
    texts += [
        p.read_text()
        for p in (out / "dataset" / "README.md", out / "manifest.json", out / "report.html")
    ]
    return "\n".join(texts)


def test_planted_secrets_never_reach_the_output(tmp_path):
    repo = planted_history(tmp_path / "repo")
    out = tmp_path / "out"
    manifest = build(repo, out)
    text = every_output_text(out)
    for secret in PLANTED:
        assert secret not in text, secret
    assert "<SECRET_AWS_KEY>" in text and "<EMAIL>" in text
    assert manifest["counts"]["curation"]["redacted_samples"] >= 2
    dropped = build(repo, tmp_path / "drop", secrets="drop")
    assert dropped["counts"]["rejected"]["contains_secret"] >= 2
    for secret in PLANTED:
        assert secret not in every_output_text(tmp_path / "drop")


def _chrome():
    pytest.importorskip("selenium")
    browser, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not browser or not driver:
        pytest.skip("Debian chromium and chromium-driver are not installed (.ci/run installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=options)


def test_report_in_a_headless_browser(tmp_path):
    repo = planted_history(tmp_path / "repo")
    out = tmp_path / "out"
    manifest = build(repo, out)
    chrome = _chrome()
    try:
        from selenium.webdriver.common.by import By

        chrome.get((out / "report.html").as_uri())
        errors = [e for e in chrome.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == []
        summary = chrome.find_element(By.ID, "summary").text
        assert f"train: {manifest['counts']['splits']['train']}" in summary
        funnel = chrome.find_element(By.ID, "funnel").text
        assert "commits listed" in funnel and str(manifest["counts"]["commits_listed"]) in funnel
        search = chrome.find_element(By.ID, "search")
        search.send_keys("ping helper")
        results = chrome.find_elements(By.CSS_SELECTOR, "#results li")
        assert len(results) == 1 and "Add a ping helper" in results[0].text
        results[0].click()
        detail = chrome.find_element(By.ID, "detail").text
        assert "service.py" in detail and "<SECRET_" in detail
        chrome.save_screenshot(str(tmp_path / "report.png"))
        assert (tmp_path / "report.png").stat().st_size > 10_000
    finally:
        chrome.quit()


def test_report_command_regenerates_the_page(tmp_path):
    from .test_cli import run_cli

    repo = planted_history(tmp_path / "repo")
    out = tmp_path / "out"
    build(repo, out)
    (out / "report.html").unlink()
    done = run_cli("report", str(out))
    assert done.returncode == 0, done.stderr
    assert (out / "report.html").read_text().startswith("<!DOCTYPE html>")
    missing = run_cli("report", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "no such directory" in missing.stderr


@pytest.mark.parametrize("output_format", ["parquet", "jsonl"])
def test_read_dataset_gives_back_what_the_build_wrote(tmp_path, output_format):
    from repomill.export.read import read_dataset, read_rejected

    repo = planted_history(tmp_path / "repo")
    out = tmp_path / "out"
    config = CommitsConfig(validation=0.3, test=0.3, format=output_format)
    counts = build_recipe("commits", repo, out, config).to_json()["counts"]
    dataset = read_dataset(out)
    assert {split: len(rows) for split, rows in dataset.items()} == {
        split: n for split, n in counts["splits"].items() if n}  # fmt: skip
    assert all(row["recipe"] == "commits" and row["messages"] for rows in dataset.values()
               for row in rows)  # fmt: skip
    assert len(read_rejected(out)) == sum(counts["rejected"].values())
    assert read_dataset(tmp_path / "nothing here") == {} and read_rejected(tmp_path) == []
