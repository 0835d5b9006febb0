"""Grounded self-align (`--grounded`, Python): tasks that ask for a new function using a
seed of the repository as an API, verified with the repository importable.

The repository's Python files at the build's commit are exported once to a library
folder beside the tool directory (`verify.tools`), which the sandbox sees read-only as
/repo; a seed's module is its import path from the topmost package folder holding it
(`src/pkg/mod.py` → `pkg.mod`, with /repo/src on the path). A seed whose module does not
import in the sandbox (a third-party dependency, an import-time side effect) is dropped
before any model call."""

from __future__ import annotations

import ast
import fcntl
import posixpath
import shutil
import textwrap
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from repomill.engine.keys import stable_hash
from repomill.recipes.self_align.seeds import Seed
from repomill.sources.entries import SourceSpec
from repomill.sources.files import list_entries, read_entry
from repomill.verify.runners import RUNNERS, Library
from repomill.verify.sandbox import Limits
from repomill.verify.tools import library_folder

MAX_FILE_BYTES = 1 << 20
IMPORT_LIMITS = Limits(wall_seconds=10, cpu_seconds=10)


@dataclass(frozen=True)
class Api:
    """What a grounded task is built on: the seed as importable API."""

    module: str
    name: str
    text: str  # the import, then the signature and docstring
    library: Library

    def to_json(self) -> dict[str, str]:
        return {"module": self.module, "name": self.name}


def export_python(spec: SourceSpec) -> tuple[Path, str, set[str]]:
    """The source's Python files in a library folder of their own (kept: made once per
    commit, or per content for a plain directory), its stamp and the paths it holds."""
    entries = [e for e in list_entries(spec) if e.kind == "file" and e.skip is None
               and e.path.endswith(".py") and e.size <= MAX_FILE_BYTES]  # fmt: skip
    stamp = spec.commit or stable_hash(*(f"{e.path}:{e.blob}" for e in entries))
    folder = library_folder(stamp[:16])
    done = folder / ".complete"
    if not done.exists():
        with (folder / ".lock").open("w") as lock:  # another build may be exporting it
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not done.exists():
                _export(spec, entries, folder / "code")
                done.write_text(stamp)
    return folder / "code", stamp, {e.path for e in entries}


def _export(spec: SourceSpec, entries: list, folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)  # what an interrupted export left
    folder.mkdir()
    for entry in entries:
        target = folder / entry.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(read_entry(spec, entry))


def module_of(path: str, python_files: set[str]) -> tuple[str, str] | None:
    """(the folder to put on the path, the module's dotted name) of a Python file; None
    for a name that cannot be imported (a folder or file name that is no identifier)."""
    folder, name = posixpath.split(path.removesuffix(".py"))
    parts = [] if name == "__init__" else [name]
    while folder and f"{folder}/__init__.py" in python_files:
        folder, package = posixpath.split(folder)
        parts.insert(0, package)
    if not parts or not all(part.isidentifier() for part in parts):
        return None
    return folder, ".".join(parts)


def signature_text(seed: Seed) -> str | None:
    """The seed's `def` line and docstring, its body left out; None when it is no
    top-level function."""
    try:
        tree = ast.parse(textwrap.dedent(seed.code))
    except SyntaxError:
        return None
    if not tree.body or not isinstance(tree.body[0], ast.FunctionDef | ast.AsyncFunctionDef):
        return None
    function = tree.body[0]
    docstring = ast.get_docstring(function)
    function.body = [ast.Expr(ast.Constant(docstring))] if docstring else []
    function.body.append(ast.Expr(ast.Constant(...)))
    function.decorator_list = []
    return ast.unparse(function)


def grounded_seeds(seeds: list[Seed], spec: SourceSpec, unsafe: bool,
                   dropped: Counter[str]) -> tuple[list[Seed], dict[str, Api]]:  # fmt: skip
    """The seeds a grounded task can be built on and their APIs (by seed id); each other
    seed is counted in `dropped` with why."""
    folder, stamp, python_files = export_python(spec)
    kept, apis, imports = [], {}, {}
    for seed in seeds:
        if seed.language != "python":
            dropped["grounded_not_python"] += 1
            continue
        found = module_of(seed.path, python_files)
        text = signature_text(seed) if found and "." not in seed.symbol else None
        if found is None or text is None:
            dropped["grounded_not_importable"] += 1
            continue
        if seed.symbol.startswith("_") or any(p.startswith("_") for p in found[1].split(".")):
            dropped["grounded_private"] += 1  # code outside its module would not call it
            continue
        root, module = found
        library = Library(str(folder), root, stamp)
        if (root, module) not in imports:
            run = RUNNERS["python"].run(f"import {module}\n", "", IMPORT_LIMITS, unsafe, library)
            imports[(root, module)] = run.passed
        if not imports[(root, module)]:
            dropped["grounded_import_fails"] += 1
            continue
        api = f"from {module} import {seed.symbol}\n\n{text}"
        kept.append(seed)
        apis[seed.seed_id] = Api(module, seed.symbol, api, library)
    return kept, apis
