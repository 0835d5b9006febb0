"""Go imports: package directories under the module path of the nearest go.mod; files of
the same directory and package need no import (test files see the package's other test
files too)."""

from __future__ import annotations

import posixpath
import re

from repomill.code.resolve.base import RawImport
from repomill.code.resolve.layout import RepoLayout, Resolved

_MODULE = re.compile(r"^\s*module\s+(\S+)", re.MULTILINE)


class GoResolver:
    def __init__(self, layout: RepoLayout):
        self.layout = layout
        self.modules: list[tuple[str, str]] = []  # (module path, directory of go.mod)
        for path, text in layout.project_files.items():
            if posixpath.basename(path) == "go.mod":
                found = _MODULE.search(text)
                if found:
                    self.modules.append((found.group(1).strip('"'), posixpath.dirname(path)))
        self.modules.sort(key=lambda m: len(m[0]), reverse=True)

    def package_files(self, directory: str) -> list[str]:
        return [
            p
            for p in self.layout.by_dir.get(directory, ())
            if p.endswith(".go") and not p.endswith("_test.go")
        ]

    def own_package(self, path: str, package: str) -> list[str]:
        """The other files of `path`'s package: its directory's files that declare the same
        package, a test file's (`_test.go`) fellow test files among them."""
        tests = path.endswith("_test.go")
        return [p for p in self.layout.by_dir.get(posixpath.dirname(path), ())
                if p != path and p.endswith(".go") and (tests or not p.endswith("_test.go"))
                and self.layout.packages.get(p, package) == package]  # fmt: skip

    def resolve(self, path: str, raw: RawImport) -> Resolved:
        if raw.alias == "package":
            return Resolved(self.own_package(path, raw.module))
        for module_path, root in self.modules:
            if raw.module == module_path or raw.module.startswith(module_path + "/"):
                rest = raw.module[len(module_path) :].lstrip("/")
                files = self.package_files(posixpath.join(root, rest) if rest else root)
                bound = [] if raw.wildcard else [(raw.alias, f) for f in files]  # pkg.Name
                return Resolved(files, modules=bound)
        return Resolved()
