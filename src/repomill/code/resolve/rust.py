"""Rust paths: `mod x;` files, and `use` paths through crate::, self::, super::, the names
of workspace crates and 2018-style paths relative to the current module.

A crate root is what Cargo builds (each package's library, binaries, tests, examples and
benches: declared in its Cargo.toml or found where Cargo looks); a module's file lies under
its crate root's folder (a/b.rs or a/b/mod.rs). A .rs file under no crate root is a root
of its own. #[path] attributes are not followed.

A path resolves to the deepest module file it names and what follows inside that file: an
import of a module binds its local name to the module's file (`Resolved.modules`), one of
an item binds it to the file and the item's path there ("Type", "inline_mod::Type",
"Enum::Variant"; `Resolved.names`), which context follows through the file's own imports
(re-exports)."""

from __future__ import annotations

import posixpath

from repomill.code.resolve.base import RawImport
from repomill.code.resolve.cargo import Package, read_packages
from repomill.code.resolve.layout import RepoLayout, Resolved

SEPARATOR = "::"


class RustResolver:
    def __init__(self, layout: RepoLayout):
        self.layout = layout
        packages = read_packages(layout)
        self.libraries: dict[str, str] = {}  # package name -> its library's root file
        self.by_lib_name: dict[str, str] = {}  # library name (underscored) -> root file
        self.roots_in: dict[str, list[str]] = {}  # folder -> the crate roots in it
        self.packages_in: dict[str, list[Package]] = {}  # folder -> packages rooted there
        for package in packages:
            if package.lib is not None:
                self.libraries[package.name] = package.lib
                self.by_lib_name.setdefault(package.lib_name, package.lib)
            for root in package.roots:
                folder = posixpath.dirname(root)
                self.roots_in.setdefault(folder, []).append(root)
                if package not in self.packages_in.setdefault(folder, []):
                    self.packages_in[folder].append(package)

    def locate(self, path: str) -> tuple[str, tuple[str, ...]]:
        """(folder of the file's crate root, the file's module path in that crate)."""
        folder = posixpath.dirname(path)
        while folder not in self.roots_in:
            if not folder:
                return posixpath.dirname(path), ()  # under no crate root: a root itself
            folder = posixpath.dirname(folder)
        if path in self.roots_in[folder]:
            return folder, ()
        parts = (path[len(folder) + 1 :] if folder else path)[: -len(".rs")].split("/")
        if parts[-1] == "mod":
            parts = parts[:-1]
        return folder, tuple(parts)

    def crate_roots(self, path: str) -> list[str]:
        """The root file(s) of the crate `path` belongs to (a folder may hold two: lib.rs
        and main.rs)."""
        folder, _ = self.locate(path)
        return list(self.roots_in.get(folder, [path]))

    def _module_files(self, folder: str, module: tuple[str, ...], path: str) -> list[str]:
        if not module:
            return list(self.roots_in.get(folder, [path]))
        base = posixpath.join(folder, *module)
        for candidate in (base + ".rs", posixpath.join(base, "mod.rs")):
            if candidate in self.layout.files:
                return [candidate]
        return []

    def _library(self, path: str, name: str) -> str | None:
        """The root file of the workspace library `name` means in the file's crate: a
        dependency its Cargo.toml names, else a workspace library of that name (a
        package's tests, examples and binaries use its own library so)."""
        folder, _ = self.locate(path)
        for package in self.packages_in.get(folder, ()):
            target = package.dependencies.get(name)
            if target in self.libraries:
                return self.libraries[target]
        return self.by_lib_name.get(name)

    def reach(self, path: str, segments: list[str]) -> list[tuple[str, tuple[str, ...]]]:
        """(module file, the rest of the path inside it) for each file a path written in
        `path` reaches: the deepest module with a file."""
        if not segments:
            return []
        folder, current = self.locate(path)
        head = segments[0]
        readings: list[tuple[str, tuple[str, ...], list[str], list[str] | None, int]] = []
        if head in ("crate", "$crate"):
            readings.append((folder, (), segments[1:], None, 0))
        elif head in ("self", "super"):
            module, rest = list(current), list(segments)
            while rest and rest[0] in ("self", "super"):
                if rest.pop(0) == "super" and module:
                    module.pop()
            readings.append((folder, tuple(module), rest, None, 0))
        else:
            library = self._library(path, head)
            if library is not None:
                lib_folder, lib_module = self.locate(library)
                readings.append((lib_folder, lib_module, segments[1:], [library], 0))
            # 2018 paths may start at a child module of the current one.
            readings.append((folder, current, segments, None, 1))
        for base_folder, base, rest, root_files, shallowest in readings:
            for end in range(len(rest), shallowest - 1, -1):
                module = base + tuple(rest[:end])
                if end == 0 and root_files is not None:
                    files = root_files
                else:
                    files = self._module_files(base_folder, module, path)
                if files:
                    return [(file, tuple(rest[end:])) for file in files]
        return []

    def resolve(self, path: str, raw: RawImport) -> Resolved:
        module = [s for s in raw.module.split(SEPARATOR) if s]
        result = Resolved()
        if raw.names:
            for local, original in raw.names:
                self._bind(result, path, local, module + [original])
        elif raw.wildcard:  # `use a::b::*`: every name of b's file (not of an item's)
            for target, inner in self.reach(path, module):
                if not inner and target not in result.targets:
                    result.targets.append(target)
        elif module:  # `use a::b;`, `mod b;`, `extern crate b as c;`: the module b
            self._bind(result, path, raw.alias or module[-1], module)
        return result

    def _bind(self, result: Resolved, path: str, local: str, segments: list[str]) -> None:
        for target, inner in self.reach(path, segments):
            if target not in result.targets:
                result.targets.append(target)
            if inner:
                result.names.append((local, target, SEPARATOR.join(inner)))
            else:
                result.modules.append((local, target))
