"""Index time vs raw tree-sitter parse time on one repository; prints one JSON line.

    python benchmarks/index_repo.py REPO [--rev REV]

Three measurements run in separate child processes (so each has its own peak RSS), in the
same run: raw parse of the files the index keeps (one core), the full index with one
worker, and with the default workers. Nothing is cached between them."""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def _peak_rss_mib() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, children) / 1024, 1)  # Linux reports KiB


def _planned(repo: str, rev: str | None):
    from repomill.code.build import plan_files
    from repomill.code.settings import IndexConfig
    from repomill.sources.files import list_entries, open_source

    source = open_source(repo, rev)
    todo, _, _ = plan_files(source, list_entries(source), IndexConfig())
    return source, todo


def measure_parse(repo: str, rev: str | None) -> dict:
    from repomill.code.languages import parser
    from repomill.sources.files import read_entry
    from repomill.sources.filters import content_skip_reason

    source, todo = _planned(repo, rev)
    blobs = [(lang, read_entry(source, e)) for e, lang in todo]
    blobs = [(lang, data) for lang, data in blobs if content_skip_reason(data) is None]
    parsers = {}
    started = time.perf_counter()
    for lang, data in blobs:
        if lang not in parsers:
            parsers[lang] = parser(lang)
        parsers[lang].parse(data)
    seconds = time.perf_counter() - started
    return {
        "files": len(blobs),
        "bytes": sum(len(d) for _, d in blobs),
        "loc": sum(d.count(b"\n") for _, d in blobs),
        "seconds": round(seconds, 3),
        "peak_rss_mib": _peak_rss_mib(),
    }


def measure_index(repo: str, rev: str | None, workers: int | None) -> dict:
    from repomill.code.build import build_index
    from repomill.code.settings import IndexConfig
    from repomill.sources.files import open_source

    started = time.perf_counter()
    built = build_index(open_source(repo, rev), IndexConfig(workers=workers), None,
                        show_progress=False)  # fmt: skip
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 3),
        "chunks": len(built.index.chunks),
        "symbols": len(built.index.symbols),
        "peak_rss_mib": _peak_rss_mib(),
    }


def _child(mode: str, repo: str, rev: str | None) -> dict:
    command = [sys.executable, __file__, repo, "--mode", mode] + (["--rev", rev] if rev else [])
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("repo")
    ap.add_argument("--rev")
    ap.add_argument("--mode", choices=["parse", "index1", "indexN"])
    args = ap.parse_args()
    if args.mode == "parse":
        print(json.dumps(measure_parse(args.repo, args.rev)))
        return
    if args.mode:
        print(json.dumps(measure_index(args.repo, args.rev, 1 if args.mode == "index1" else None)))
        return
    from repomill.engine.executors import default_workers

    parse = _child("parse", args.repo, args.rev)
    one = _child("index1", args.repo, args.rev)
    many = _child("indexN", args.repo, args.rev)
    print(json.dumps({
        "repo": args.repo,
        "files": parse["files"],
        "bytes": parse["bytes"],
        "loc": parse["loc"],
        "parse_seconds": parse["seconds"],
        "index_seconds_1_worker": one["seconds"],
        "index_seconds_default_workers": many["seconds"],
        "default_workers": default_workers(),
        "ratio_1_worker": round(one["seconds"] / parse["seconds"], 2),
        "ratio_default_workers": round(many["seconds"] / parse["seconds"], 2),
        "chunks": one["chunks"],
        "symbols": one["symbols"],
        "peak_rss_mib_1_worker": one["peak_rss_mib"],
        "peak_rss_mib_default_workers": many["peak_rss_mib"],
    }))  # fmt: skip


if __name__ == "__main__":
    main()
