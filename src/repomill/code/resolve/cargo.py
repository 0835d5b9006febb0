"""The crates of a Cargo workspace, read from its Cargo.toml files: each package's crate
roots (its library, binaries, tests, examples and benches, declared or found where Cargo
looks for them) and the names its code may call other workspace libraries by."""

from __future__ import annotations

import posixpath
import tomllib
from dataclasses import dataclass, field
from typing import Any

from repomill.code.resolve.layout import RepoLayout

DEPENDENCY_TABLES = ("dependencies", "dev-dependencies", "build-dependencies")
# target kind -> (Cargo.toml table, the flag that turns discovery off, where Cargo looks)
TARGETS = {
    "bin": ("bin", "autobins", ("src/bin",)),
    "test": ("test", "autotests", ("tests",)),
    "example": ("example", "autoexamples", ("examples",)),
    "bench": ("bench", "autobenches", ("benches",)),
}


@dataclass
class Package:
    name: str  # as in [package], dashes kept
    directory: str  # of its Cargo.toml ("" at the repository root)
    lib: str | None = None  # the library's root file
    lib_name: str = ""  # what other crates call the library (dashes made underscores)
    roots: list[str] = field(default_factory=list)  # every crate root, the library first
    # name code uses for a dependency (underscored) -> the package name it stands for
    dependencies: dict[str, str] = field(default_factory=dict)


def _table(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _join(directory: str, path: str) -> str:
    return posixpath.normpath(posixpath.join(directory, path)) if directory else path


def read_packages(layout: RepoLayout) -> list[Package]:
    """Every package of every Cargo.toml of the layout; its default targets are looked
    for among the layout's files."""
    manifests: dict[str, dict[str, Any]] = {}
    for path, text in sorted(layout.project_files.items()):
        if posixpath.basename(path) == "Cargo.toml":
            try:
                manifests[posixpath.dirname(path)] = tomllib.loads(text)
            except tomllib.TOMLDecodeError:
                continue
    workspace_deps: dict[str, dict[str, Any]] = {}
    for directory, manifest in manifests.items():  # [workspace.dependencies] by directory
        shared = _table(_table(manifest.get("workspace")).get("dependencies"))
        if shared:
            workspace_deps[directory] = shared
    packages = []
    for directory, manifest in manifests.items():
        name = _table(manifest.get("package")).get("name")
        if isinstance(name, str) and name:
            packages.append(_package(name, directory, manifest, layout, workspace_deps))
    return packages


def _package(name: str, directory: str, manifest: dict[str, Any], layout: RepoLayout,
             workspace_deps: dict[str, dict[str, Any]]) -> Package:  # fmt: skip
    package, files = Package(name, directory), layout.files
    lib = _table(manifest.get("lib"))
    lib_path = lib.get("path") if isinstance(lib.get("path"), str) else "src/lib.rs"
    if _join(directory, lib_path) in files:
        package.lib = _join(directory, lib_path)
        package.roots.append(package.lib)
    lib_name = lib.get("name") if isinstance(lib.get("name"), str) else name
    package.lib_name = lib_name.replace("-", "_")
    options = _table(manifest.get("package"))
    if options.get("autobins", True) is not False and _join(directory, "src/main.rs") in files:
        package.roots.append(_join(directory, "src/main.rs"))
    for _kind, (table, flag, folders) in TARGETS.items():
        declared = manifest.get(table)
        for target in declared if isinstance(declared, list) else []:
            path = _table(target).get("path")
            if isinstance(path, str) and _join(directory, path) in files:
                package.roots.append(_join(directory, path))
        if options.get(flag, True) is not False:
            for folder in folders:
                package.roots.extend(_discovered(_join(directory, folder), layout))
    package.roots = list(dict.fromkeys(package.roots))
    for key, spec in _dependencies(manifest):
        spec = _table(spec)
        if spec.get("workspace") is True:  # inherited: the nearest [workspace.dependencies]
            spec = {**_table(_inherited(directory, key, workspace_deps)), **spec}
        target = spec.get("package") if isinstance(spec.get("package"), str) else key
        package.dependencies[key.replace("-", "_")] = target
    return package


def _dependencies(manifest: dict[str, Any]):
    tables = [manifest] + list(_table(manifest.get("target")).values())
    for table in tables:
        for kind in DEPENDENCY_TABLES:
            yield from _table(_table(table).get(kind)).items()


def _inherited(directory: str, key: str, workspace_deps: dict[str, dict[str, Any]]) -> Any:
    while True:
        if key in workspace_deps.get(directory, {}):
            return workspace_deps[directory][key]
        if not directory:
            return None
        directory = posixpath.dirname(directory)


def _discovered(folder: str, layout: RepoLayout) -> list[str]:
    """Cargo's default targets in `folder`: folder/x.rs and folder/x/main.rs."""
    found = [p for p in layout.by_dir.get(folder, ()) if p.endswith(".rs")]
    for child in sorted(layout.subdirs.get(folder, ())):
        if posixpath.join(child, "main.rs") in layout.files:
            found.append(posixpath.join(child, "main.rs"))
    return sorted(found)
