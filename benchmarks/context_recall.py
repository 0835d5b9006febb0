"""Recall and precision of the commit recipe's cross-file context against a ground truth that
does not use repomill's resolver; prints one JSON line.

    python benchmarks/context_recall.py REPO [--max-commits 300] [--sample 60] [--seed 0]
        [--max-tokens 262144] [--typescript /tmp/tsc-gt/node_modules/typescript] [--show N]

Builds the commits dataset of the newest `--max-commits` non-merge commits (`repomill build
commits`, curation off: it drops rows, never changes their context), samples `--sample`
examples with a fixed seed, and checks out each sampled commit and its parent (`git archive`).
The truth is what the new code of each changed unit uses, found at the commit by a real
analyser: Python with jedi (goto, infer where goto finds nothing), TypeScript/JavaScript with
the TypeScript checker (benchmarks/ts_declarations.cjs: symbol at each identifier, aliases
followed), other languages with universal-ctags by name (weaker: only names defined exactly
once in the repository count; Go only within the file's package and its imports). A used
definition is the top-level definition holding the
declaration, in another file of the repository, mapped to the parent's lines (context is
resolved at the parent); ones that do not exist at the parent, or that lie in the old code the
prompt already shows, do not count. A context item matches a definition when the path is the
same and the line ranges overlap.

recall_all / recall_types / recall_named_imports: share of used definitions that some context item
matches — all, those that are types (class, interface, type alias, enum), those reached through
a name the file imports by name (`from m import x`, `import {x} from`). recall_direct: of those
the code names itself at least once (a bare name, or one qualified by an imported module),
not only as a member found through a value's type (`result.output`, `f(key=)`, `{key: 1}`).
recall_all_outside_changed_files: leaving out definitions in files the commit also changes
(the recipe never takes context from them). precision: share of context items that match a
definition the old code (at the parent) or the new code uses. --show N prints the misses and
unmatched items of N examples to stderr."""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import posixpath
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

import pyarrow.parquet as pq

from repomill.export.read import dataset_dir

HERE = Path(__file__).resolve().parent
PYTHON = (".py", ".pyi")
SCRIPT = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs")
CTAGS = {".go": "Go", ".java": "Java", ".rs": "Rust"}
IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")
GO_IMPORTS = re.compile(r'^import\s*(?:\((.*?)\)|(?:[\w.]+\s+)?("[^"]+"))', re.M | re.S)
QUALIFIER = re.compile(r"(?<![\w.)\]])([A-Za-z_]\w*)(?:\.\w+)*\.\s*$")
JAVA_IMPORT = re.compile(r"^\s*import\s+(?!static)[\w.]+\.(\w+)\s*;", re.MULTILINE)


@dataclass(frozen=True)
class Definition:
    path: str
    start: int
    end: int
    type: bool = False
    named: bool = False
    direct: bool = True  # some use names it, not only a member (`a.name`, `f(name=)`, `{name:}`)
    strict: bool = True  # False: one of several same-named definitions (ctags), precision only


@dataclass
class Unit:
    path: str
    new: tuple[int, int] | None  # lines at the commit
    old_path: str | None
    old: tuple[int, int] | None  # lines at the parent


def overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start <= b_end and b_start <= a_end


def span(start: int, code: str) -> tuple[int, int] | None:
    if not code:
        return None
    return start, start + code.count("\n") - (1 if code.endswith("\n") else 0)


# --- the dataset -------------------------------------------------------------------------


def build_dataset(repo: str, out: Path, max_commits: int, max_tokens: int) -> float:
    command = [sys.executable, "-m", "repomill.cli", "build", "commits", repo, "--out", str(out),
               "--quiet", "--no-curate", "--max-commits", str(max_commits),
               "--max-tokens", str(max_tokens)]  # fmt: skip
    started = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - started


def read_examples(out: Path) -> list[dict]:
    columns = ["id", "language", "commit", "parent_commit", "units", "context", "evidence",
               "meta"]  # fmt: skip
    rows = [r for f in sorted((dataset_dir(out) / "data").glob("*.parquet"))
            for r in pq.read_table(f, columns=columns).to_pylist()]  # fmt: skip
    return sorted((r for r in rows if r["parent_commit"]), key=lambda r: r["id"])


def units_of(example: dict) -> list[Unit]:
    """The changed units; a unit's old path is its evidence row (one per unit with old code,
    in unit order, before the context items)."""
    evidence = iter(example["evidence"])
    units = []
    for raw in example["units"]:
        old_path = next(evidence)["path"] if raw["old_code"] else None
        units.append(Unit(raw["path"], span(raw["new_start_line"], raw["new_code"]), old_path,
                          span(raw["old_start_line"], raw["old_code"])))  # fmt: skip
    return units


# --- checkouts and line mapping ----------------------------------------------------------


class Checkouts:
    """Trees of revisions extracted with `git archive`, kept while in use."""

    def __init__(self, repo: str, into: Path):
        self.repo, self.into = repo, into
        self.roots: dict[str, Path] = {}

    def root(self, sha: str) -> Path:
        if sha not in self.roots:
            target = self.into / sha
            target.mkdir(parents=True)
            archive = subprocess.run(["git", "-C", self.repo, "archive", sha],
                                     check=True, capture_output=True).stdout  # fmt: skip
            subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
            self.roots[sha] = target
        return self.roots[sha]

    def keep_only(self, shas: set[str], engines: dict) -> None:
        for sha in [s for s in self.roots if s not in shas]:
            root = self.roots.pop(sha)
            for engine in engines.values():
                engine.forget(root)
            shutil.rmtree(root)


def read_lines(root: Path, path: str) -> list[str] | None:
    try:
        return (root / path).read_text(errors="replace").splitlines()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


class LineMap:
    """Lines of a file at the commit -> the same lines at the parent (difflib's equal blocks);
    a range maps to the span of its lines that exist at the parent, or None."""

    def __init__(self, parent_root: Path, commit_root: Path):
        self.parent_root, self.commit_root = parent_root, commit_root
        self.maps: dict[str, dict[int, int] | None] = {}

    def _map(self, path: str) -> dict[int, int] | None:
        if path not in self.maps:
            old, new = read_lines(self.parent_root, path), read_lines(self.commit_root, path)
            if old is None or new is None:
                self.maps[path] = None
            else:
                matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
                self.maps[path] = {b + k + 1: a + k + 1
                                   for a, b, size in matcher.get_matching_blocks()
                                   for k in range(size)}  # fmt: skip
        return self.maps[path]

    def to_parent(self, d: Definition) -> Definition | None:
        mapping = self._map(d.path)
        lines = [mapping[n] for n in range(d.start, d.end + 1) if n in mapping] if mapping else []
        return replace(d, start=min(lines), end=max(lines)) if lines else None


# --- ground truths -----------------------------------------------------------------------


class JediTruth:
    name = "jedi"

    def __init__(self) -> None:
        import jedi

        _fix_jedi_pytest_fixtures()
        self.jedi = jedi
        self.environment = jedi.create_environment(sys.executable, safe=False)
        self.projects: dict[Path, object] = {}
        self.files: dict[tuple[Path, str], tuple] = {}  # one Script per file and checkout

    def _file(self, root: Path, path: str):
        if (root, path) not in self.files:
            if root not in self.projects:
                # The repository first, so its package wins over an installed copy;
                # site-packages after it (jedi's pytest plugin needs pytest for fixtures).
                paths = [str(root / "src"), str(root)] + list(self.environment.get_sys_path())
                self.projects[root] = self.jedi.Project(root, sys_path=paths,
                                                        smart_sys_path=False)  # fmt: skip
            text = (root / path).read_text(errors="replace")
            script = self.jedi.Script(text, path=root / path, project=self.projects[root],
                                      environment=self.environment)  # fmt: skip
            names = script.get_names(all_scopes=True, definitions=True, references=True)
            self.files[(root, path)] = (script, names, text.splitlines(),
                                        *_python_imports(text))  # fmt: skip
        return self.files[(root, path)]

    def definitions(self, root: Path, path: str, start: int, end: int) -> list[Definition]:
        script, names, lines, imported, bound = self._file(root, path)
        found = []
        for name in names:
            if not start <= name.line <= end:
                continue
            line = lines[name.line - 1]
            receiver = QUALIFIER.search(line[: name.column])
            bare = not line[: name.column].rstrip().endswith(".")
            after = line[name.column + len(name.name) :].lstrip()
            keyword = after.startswith("=") and not after.startswith("==")
            # `click.command`: qualified by an imported name (a module, mostly), not a member
            qualified = receiver is not None and receiver.group(1) in bound
            # The Name's own goto: Script.goto(line, column) first finds the leaf by a walk
            # over the whole module, most of the time on a big file.
            for target in name.goto(follow_imports=True) or name.infer():
                named = bare and name.name in imported
                direct = (bare and not keyword) or qualified
                d = _jedi_definition(target, root, path, named, direct)
                if d is not None:
                    found.append(d)
        return found

    def close(self) -> None:
        pass

    def forget(self, root: Path) -> None:
        """Drop what was kept of a checkout that is removed (parso's cache too)."""
        import parso.cache

        self.projects.pop(root, None)
        self.files = {key: value for key, value in self.files.items() if key[0] != root}
        for cache in parso.cache.parser_cache.values():
            for path in [p for p in cache if str(p).startswith(str(root) + "/")]:
                del cache[path]


def _fix_jedi_pytest_fixtures() -> None:
    """jedi (0.19-0.20) caches the generator `_iter_pytest_modules` returns, so only the first
    fixture lookup of a Script finds conftest.py; make it return a list."""
    import jedi.plugins.pytest as plugin

    cached = plugin._iter_pytest_modules
    inner = next((c.cell_contents for c in cached.__closure__ or ()
                  if getattr(c.cell_contents, "__name__", "") == "_iter_pytest_modules"),
                 None)  # fmt: skip
    if inner is not None:
        plugin._iter_pytest_modules = lambda context, skip_own_module=False: list(
            inner(context, skip_own_module)
        )


def _python_imports(text: str) -> tuple[set[str], set[str]]:
    """(names `from m import x` binds, names any import binds)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return set(), set()
    named, every = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            named |= {a.asname or a.name for a in node.names if a.name != "*"}
        elif isinstance(node, ast.Import):
            every |= {a.asname or a.name.split(".")[0] for a in node.names}
    return named, named | every


def _jedi_definition(target, root: Path, own: str, named: bool, direct: bool) -> Definition | None:
    if target.module_path is None or target.type == "module":
        return None
    try:
        path = Path(target.module_path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None  # stdlib, typeshed, site-packages
    if path == own:
        return None
    top = target
    while (parent := top.parent()) is not None and parent.type != "module":
        top = parent
    first, last = top.get_definition_start_position(), top.get_definition_end_position()
    start = first[0] if first else top.line
    end = last[0] if last else start
    return Definition(path, start, end, top.type == "class", named, direct)


class TypeScriptTruth:
    name = "typescript-checker"

    def __init__(self, typescript: str) -> None:
        self.node = subprocess.Popen(
            ["node", str(HERE / "ts_declarations.cjs"), typescript],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip

    def definitions(self, root: Path, path: str, start: int, end: int) -> list[Definition]:
        request = {"root": str(root), "queries": [{"file": path, "start": start, "end": end}]}
        self.node.stdin.write(json.dumps(request) + "\n")
        self.node.stdin.flush()
        reply = json.loads(self.node.stdout.readline())
        if "error" in reply:
            raise RuntimeError(reply["error"])
        # One identifier with several declarations in one file (overloads, merged
        # interfaces) is one definition spanning them.
        spans: dict[tuple, list[dict]] = defaultdict(list)
        for d in reply["results"][0]:
            if d["file"] != path:
                spans[(d["name"], d["line"], d["file"])].append(d)
        return [Definition(file, min(d["start"] for d in ds), max(d["end"] for d in ds),
                           any(d["type"] for d in ds), any(d["named"] for d in ds),
                           not any(d["member"] for d in ds))
                for (_, _, file), ds in spans.items()]  # fmt: skip

    def forget(self, root: Path) -> None:
        pass  # the helper keeps the programs of the two latest roots only

    def close(self) -> None:
        self.node.stdin.close()
        self.node.wait()


class CtagsTruth:
    """By name: an identifier of the code defined (per ctags) exactly once in the repository,
    in another file, is a used definition; every same-named definition of an identifier
    mentioned counts for precision."""

    name = "universal-ctags (names)"
    TYPES = {"class", "interface", "struct", "enum", "type", "talias", "trait", "typedef",
             "record", "annotation"}  # fmt: skip
    SKIP = {"local", "parameter", "field", "member", "anonMember", "methodSpec", "label",
            "import", "package", "packageName", "unknown", "enumConstant"}  # fmt: skip

    def __init__(self) -> None:
        self.tags: dict[Path, dict[str, list[dict]]] = {}

    def _tags(self, root: Path) -> dict[str, list[dict]]:
        if root not in self.tags:
            languages = ",".join(sorted(set(CTAGS.values())))
            command = ["ctags", "-R", "--sort=no", "--fields=+nKe", "--output-format=json",
                       "-f", "-", f"--languages={languages}", "."]  # fmt: skip
            out = subprocess.run(command, cwd=root, capture_output=True, text=True).stdout
            by_name: dict[str, list[dict]] = defaultdict(list)
            for line in out.splitlines():
                tag = json.loads(line)
                if tag.get("_type") == "tag" and tag.get("kind") not in self.SKIP:
                    by_name[tag["name"]].append(tag)
            self.tags[root] = by_name
        return self.tags[root]

    def definitions(self, root: Path, path: str, start: int, end: int) -> list[Definition]:
        tags, text = self._tags(root), (root / path).read_text(errors="replace")
        code = "\n".join(text.splitlines()[start - 1 : end])
        imported = set(JAVA_IMPORT.findall(text)) if path.endswith(".java") else set()
        seen = _go_visible(root, path, text) if path.endswith(".go") else None
        found = []
        for name in set(IDENTIFIER.findall(code)):
            same = tags.get(name, [])
            if seen is not None:
                same = [t for t in same if seen(t["path"].removeprefix("./"))]
            if any(t["path"].removeprefix("./") == path for t in same):
                continue  # the file's own definition shadows any elsewhere
            for t in same:
                kind = t.get("kind", "")
                found.append(Definition(t["path"].removeprefix("./"), t["line"],
                                        t.get("end", t["line"]), kind in self.TYPES,
                                        name in imported, strict=len(same) == 1))  # fmt: skip
        return found

    def forget(self, root: Path) -> None:
        self.tags.pop(root, None)

    def close(self) -> None:
        pass


def _go_visible(root: Path, path: str, text: str):
    """Go: a file sees its own package (its directory) and the packages it imports (by the
    module path of go.mod, or an import path ending in the directory without one)."""
    go_mod = (root / "go.mod").read_text(errors="replace") if (root / "go.mod").exists() else ""
    module = next(iter(re.findall(r"^module\s+(\S+)", go_mod, re.MULTILINE)), None)
    imports = {spec for block, single in GO_IMPORTS.findall(text)
               for spec in re.findall(r'"([^"]+)"', block or single)}  # fmt: skip
    own = posixpath.dirname(path)

    def imported(spec: str, folder: str) -> bool:
        if module is not None:
            return spec == (f"{module}/{folder}" if folder else module)
        return spec.endswith("/" + folder) if folder else False

    def visible(tag_path: str) -> bool:
        folder = posixpath.dirname(tag_path)
        return folder == own or any(imported(spec, folder) for spec in imports)

    return visible


def engine_for(path: str, engines: dict, typescript: str):
    suffix = Path(path).suffix.lower()
    kind = ("python" if suffix in PYTHON else "script" if suffix in SCRIPT
            else "ctags" if suffix in CTAGS and shutil.which("ctags") else None)  # fmt: skip
    if kind is not None and kind not in engines:
        engines[kind] = {"python": JediTruth, "ctags": CtagsTruth}.get(
            kind, lambda: TypeScriptTruth(typescript)
        )()
    return engines.get(kind)


# --- scoring -----------------------------------------------------------------------------


def score_example(example: dict, checkouts: Checkouts, engines: dict, typescript: str):
    """Counts for one example, or None when no unit has a ground truth."""
    every = units_of(example)
    units = [(u, e) for u in every if (e := engine_for(u.path, engines, typescript))]
    if not units:
        return None
    parent_root, commit_root = (
        checkouts.root(example["parent_commit"]),
        checkouts.root(example["commit"]),
    )
    to_parent = LineMap(parent_root, commit_root)
    omitted = set(json.loads(example["meta"]).get("old_code_omitted", []))
    shown = [(u.old_path, *u.old) for n, u in enumerate(every) if u.old and n not in omitted]
    changed = {u.path for u in every} | {u.old_path for u in every}
    used: dict[tuple, Definition] = {}
    referenced: list[Definition] = []
    excluded: dict[str, set] = defaultdict(set)  # reason -> definitions left out
    for unit, engine in units:
        if unit.old:
            referenced += engine.definitions(parent_root, unit.old_path, *unit.old)
        if not unit.new:
            continue
        for d in engine.definitions(commit_root, unit.path, *unit.new):
            moved = to_parent.to_parent(d)
            if moved is None:
                excluded["new_at_commit"].add((d.path, d.start, d.end))
            elif any(p == moved.path and overlaps(s, e, moved.start, moved.end)
                     for p, s, e in shown):  # fmt: skip
                excluded["in_prompt_old_code"].add((moved.path, moved.start, moved.end))
            else:
                referenced.append(moved)
                if moved.strict:
                    _merge(used, moved)
    items = example["context"]
    hit = [any(_matches(i, d) for i in items) for d in used.values()]
    good = [any(_matches(i, d) for d in referenced) for i in items]
    return {
        "language": example["language"],
        "truth": sorted({e.name for _, e in units}),
        "used": [(d, h, d.path in changed) for d, h in zip(used.values(), hit, strict=True)],
        "items": len(items),
        "items_matched": sum(good),
        "excluded": Counter({reason: len(keys) for reason, keys in excluded.items()}),
        "missed": [d for d, h in zip(used.values(), hit, strict=True) if not h],
        "unmatched": [
            (i["path"], i["symbol"], i["start_line"])
            for i, g in zip(items, good, strict=True)
            if not g
        ],  # fmt: skip
        "commit": example["commit"],
    }


def _merge(used: dict[tuple, Definition], d: Definition) -> None:
    key = (d.path, d.start, d.end)
    if key in used:
        old = used[key]
        d = replace(d, type=d.type or old.type, named=d.named or old.named,
                    direct=d.direct or old.direct)  # fmt: skip
    used[key] = d


def _matches(item: dict, d: Definition) -> bool:
    return item["path"] == d.path and overlaps(item["start_line"], item["end_line"], d.start, d.end)


def ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def summarize(scores: list[dict]) -> list[dict]:
    by_language: dict[str, list[dict]] = defaultdict(list)
    for s in scores:
        by_language[s["language"]].append(s)
    table = []
    for language, group in sorted(by_language.items()):
        used = [u for s in group for u in s["used"]]
        types = [h for d, h, _ in used if d.type]
        named = [h for d, h, _ in used if d.named]
        direct = [h for d, h, _ in used if d.direct]
        outside = [h for _, h, in_changed in used if not in_changed]
        items = sum(s["items"] for s in group)
        excluded = sum((s["excluded"] for s in group), Counter())
        table.append({
            "language": language,
            "truth": sorted({t for s in group for t in s["truth"]}),
            "examples": len(group),
            "examples_with_used_definitions": sum(1 for s in group if s["used"]),
            "used_definitions": len(used),
            "types": len(types),
            "named_imports": len(named),
            "recall_all": ratio(sum(h for _, h, _ in used), len(used)),
            "recall_types": ratio(sum(types), len(types)),
            "recall_named_imports": ratio(sum(named), len(named)),
            "direct": len(direct),
            "recall_direct": ratio(sum(direct), len(direct)),
            "used_in_other_changed_files": len(used) - len(outside),
            "recall_all_outside_changed_files": ratio(sum(outside), len(outside)),
            "context_items": items,
            "precision": ratio(sum(s["items_matched"] for s in group), items),
            "excluded": dict(excluded),
        })  # fmt: skip
    return table


def measure(repo: str, picked: list[dict], typescript: str, into: Path) -> list[dict]:
    checkouts, engines, scores = Checkouts(repo, into), {}, []
    try:
        for example in sorted(picked, key=lambda r: (r["commit"], r["id"])):
            checkouts.keep_only({example["commit"], example["parent_commit"]}, engines)
            score = score_example(example, checkouts, engines, typescript)
            if score is not None:
                scores.append(score)
    finally:
        for engine in engines.values():
            engine.close()
        checkouts.keep_only(set(), engines)
    return scores


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("repo")
    parser.add_argument("--max-commits", type=int, default=300)
    parser.add_argument("--sample", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--max-tokens",
        type=int,
        default=262_144,
        help="the examples' budget; the default is big enough that no item is "
        "dropped for it, so recall is the resolver's (repomill's own: 8192)",
    )
    parser.add_argument(
        "--show",
        type=int,
        default=0,
        help="print up to N examples' misses and unmatched items to stderr",
    )
    parser.add_argument("--typescript", default="/tmp/tsc-gt/node_modules/typescript",
                        help="the `typescript` package (5.x: it has the compiler API)")  # fmt: skip
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        build_seconds = build_dataset(args.repo, Path(tmp) / "out", args.max_commits,
                                      args.max_tokens)  # fmt: skip
        rows = read_examples(Path(tmp) / "out")
        picked = random.Random(args.seed).sample(rows, min(args.sample, len(rows)))
        started = time.perf_counter()
        scores = measure(args.repo, picked, args.typescript, Path(tmp) / "trees")
        truth_seconds = time.perf_counter() - started
    for score in scores[: args.show]:
        print(json.dumps({k: score[k] for k in ("commit", "missed", "unmatched")}, default=str),
              file=sys.stderr)  # fmt: skip
    head = subprocess.run(["git", "-C", args.repo, "rev-parse", "HEAD"], capture_output=True,
                          text=True).stdout.strip()  # fmt: skip
    print(json.dumps({
        "benchmark": "context_recall",
        "repo": args.repo,
        "repo_head": head,
        "max_commits": args.max_commits,
        "max_tokens": args.max_tokens,
        "seed": args.seed,
        "examples_built": len(rows),
        "examples_sampled": len(picked),
        "build_seconds": round(build_seconds, 1),
        "truth_seconds": round(truth_seconds, 1),
        "languages": summarize(scores),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
