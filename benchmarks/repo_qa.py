"""The repo-QA analysis on one repository (e.g. macrozheng/mall); prints one JSON line.

    python benchmarks/repo_qa.py REPO [--rev REV]

Times the code index (one worker) and then the analysis on top of it (call graph, roles,
SQL statements, rules, flows, domains) in this process, and reports the analysis's peak
RSS, what it found, and the share of HTTP endpoints whose flow reaches data access — the
figure the analysis is judged by (the ratio analysis / index is the speed figure)."""

from __future__ import annotations

import argparse
import json
import resource
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("repo")
    parser.add_argument("--rev")
    args = parser.parse_args()

    from repomill.code.analysis import analyze
    from repomill.code.build import build_index
    from repomill.code.settings import IndexConfig
    from repomill.sources import open_source
    from repomill.sources.files import list_entries, read_entry

    source = open_source(args.repo, args.rev)
    started = time.perf_counter()
    index = build_index(source, IndexConfig(workers=1), None, show_progress=False).index
    indexed = time.perf_counter()
    entries = {e.path: e for e in list_entries(source)}
    analysis = analyze(index, lambda path: read_entry(source, entries[path]), sorted(entries))
    done = time.perf_counter()
    http = [n for n, r in analysis.roles.items()
            if r.kind == "http" and analysis.nodes[n].kind == "method"]  # fmt: skip
    reaching = {f.entry for f in analysis.flows if f.data_access}
    print(json.dumps({
        "repo": args.repo,
        "index_seconds": round(indexed - started, 2),
        "analysis_seconds": round(done - indexed, 2),
        "analysis_vs_index": round((done - indexed) / (indexed - started), 2),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "http_endpoints": len(http),
        "http_reaching_data_access": sum(1 for n in http if n in reaching),
        **analysis.summary(),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
