"""Go imports: package directories under the module path of the nearest go.mod; files of
the same directory share a package and need no import."""

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

    def resolve(self, path: str, raw: RawImport) -> Resolved:
        if raw.alias == "package":
            directory = posixpath.dirname(path)
            return Resolved([p for p in self.package_files(directory) if p != path])
        for module_path, root in self.modules:
            if raw.module == module_path or raw.module.startswith(module_path + "/"):
                rest = raw.module[len(module_path) :].lstrip("/")
                files = self.package_files(posixpath.join(root, rest) if rest else root)
                bound = [] if raw.wildcard else [(raw.alias, f) for f in files]  # pkg.Name
                return Resolved(files, modules=bound)
        return Resolved()
