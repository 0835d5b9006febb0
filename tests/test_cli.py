import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from .conftest import make_repo
from .projects import PYTHON


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "120"}
    return subprocess.run(
        [sys.executable, "-m", "repomill.cli", *args],
        capture_output=True, text=True, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def test_index_writes_tables_and_manifest(tmp_path):
    repo = make_repo(tmp_path / "r", PYTHON)
    out = tmp_path / "out"
    done = run_cli("index", str(repo), "--out", str(out), "--workers", "2")
    assert done.returncode == 0, done.stderr
    chunks = pq.read_table(out / "chunks.parquet").to_pylist()
    assert {"chunk_id", "path", "language", "kind", "symbol", "start_line", "end_line",
            "start_byte", "end_byte", "text", "references"} <= set(chunks[0])  # fmt: skip
    assert {c["symbol"] for c in chunks} >= {"Order", "discount", "checkout"}
    symbols = pq.read_table(out / "symbols.parquet").to_pylist()
    assert {s["qualname"] for s in symbols} >= {"Order", "Unrelated", "discount", "checkout"}
    imports = pq.read_table(out / "imports.parquet").to_pylist()
    assert any(i["resolved"] == ["src/shop/models.py"] for i in imports)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["versions"]["repomill"] and manifest["versions"]["tree-sitter"]
    assert manifest["counts"]["files_indexed"] == 3
    assert manifest["stages"]["list_files"]["skipped"] == {"empty": 1, "unsupported_language": 1}
    assert manifest["stages"]["index_files"]["seconds"] >= 0
    assert len(manifest["config_hash"]) == 32


def test_context_prints_the_definitions_used(tmp_path):
    repo = make_repo(tmp_path / "r", PYTHON)
    done = run_cli("context", str(repo), "src/shop/service.py:8", "--budget", "500")
    assert done.returncode == 0, done.stderr
    assert "class Order:" in done.stdout
    assert "def discount(order, percent):" in done.stdout
    assert "Unrelated" not in done.stdout
    as_json = json.loads(run_cli("context", str(repo), "src/shop/service.py:8", "--json").stdout)
    assert {i["symbol"] for i in as_json["items"]} == {"Order", "discount"}
    assert as_json["chunk"]["symbol"] == "checkout"


def test_build_writes_a_dataset(tmp_path):
    repo = make_repo(tmp_path / "r", PYTHON)
    target = repo / "src/shop/service.py"
    subprocess.run(["git", "-C", str(repo), "config", "user.email", "t@example.com"], check=True)
    subprocess.run(["git", "-C", str(repo), "config", "user.name", "T"], check=True)
    target.write_text(target.read_text().replace("return", "return  ", 1) + "\n# checked\n")
    subprocess.run(["git", "-C", str(repo), "commit", "-qam", "Mark the service as checked"],
                   check=True)  # fmt: skip
    out = tmp_path / "out"
    done = run_cli("build", "commits", str(repo), "--out", str(out), "--target", "udiff")
    assert done.returncode == 0, done.stderr
    assert "commits kept" in done.stderr
    assert (out / "dataset" / "data" / "train-00000-of-00001.parquet").exists()
    assert (out / "dataset" / "README.md").exists() and (out / "manifest.json").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["index", "/no/such/dir", "--out", "{tmp}/o"], "no such directory"),
        (["index", "{tmp}/plain", "--out", "{tmp}/o", "--rev", "HEAD"], "not a git repository"),
        (["index", "{repo}", "--out", "{tmp}/o", "--rev", "v9.9"], "unknown revision"),
        (["index", "{repo}", "--out", "{tmp}/o", "--config", "{tmp}/bad.toml"], "malformed TOML"),
        (["index", "{repo}", "--out", "{tmp}/o", "--config", "{tmp}/typo.toml"], "index.wrokers"),
        (["index", "{repo}", "--out", "{tmp}/o", "--workers", "0"], "at least 1"),
        (["index", "{repo}", "--out", "{tmp}/plain/file"], "not a directory"),
        (["context", "{repo}", "nonsense"], "expected PATH:LINE"),
        (["context", "{repo}", "missing.py:3"], "not in the repository"),
        (["context", "{repo}", "src/shop/service.py:999"], "no code at that line"),
        (["context", "{repo}", "pyproject.toml:1"], "skipped (unsupported_language)"),
        (["context", "{repo}", "src/shop/service.py:8", "--tokenizer", "{tmp}/nope"], "tokenizer"),
        (["build", "commits", "{tmp}/plain", "--out", "{tmp}/o"], "not a git repository"),
        (["build", "poems", "{repo}", "--out", "{tmp}/o"], "No such command"),
        (["build", "commits", "{repo}", "--out", "{tmp}/o", "--target", "prose"], "--target"),
        (["build", "commits", "{repo}", "--out", "{tmp}/o", "--since", "last tuesday"], "--since"),
        (["build", "commits", "{repo}", "--out", "{tmp}/o", "--max-tokens", "10"], "--max-tokens"),
        (
            ["build", "commits", "{repo}", "--out", "{tmp}/o", "--tokenizer", "{tmp}/nope"],
            "tokenizer",
        ),
        (["build", "commits", "{empty}", "--out", "{tmp}/o"], "no commits"),
    ],
)
def test_user_errors_are_one_line_with_exit_code_2(tmp_path, args, message):
    repo = make_repo(tmp_path / "repo", PYTHON)
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "file").write_text("x")
    (tmp_path / "bad.toml").write_text("[index\nworkers = ")
    (tmp_path / "typo.toml").write_text("[index]\nwrokers = 2\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    subprocess.run(["git", "init", "-q", str(empty)], check=True)
    filled = [a.format(tmp=tmp_path, repo=repo, empty=empty) for a in args]
    done = run_cli(*filled)
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("repomill: error:"), done.stderr
    assert message in lines[0]
    assert "Traceback" not in done.stderr
