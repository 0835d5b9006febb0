"""Python imports: absolute modules found by path suffix (so src/ layouts and monorepos
work without configuration), relative imports from the file's package, packages via
__init__.py."""

from __future__ import annotations

import posixpath

from repomill.code.resolve.base import RawImport
from repomill.code.resolve.layout import RepoLayout, Resolved, normalize_path


class PythonResolver:
    def __init__(self, layout: RepoLayout):
        self.layout = layout
        self.by_suffix: dict[str, list[str]] = {}
        for path in sorted(layout.files):
            if not path.endswith((".py", ".pyi")):
                continue
            module = path.rsplit(".", 1)[0]
            if module.endswith("/__init__"):
                module = module[: -len("/__init__")]
            parts = module.split("/")
            for i in range(len(parts)):
                self.by_suffix.setdefault("/".join(parts[i:]), []).append(path)

    def _module_file(self, dotted: str) -> str | None:
        """The file of an absolute module, if it is this repository's: the shortest path
        whose top-level package does not sit inside another package."""
        for path in self.by_suffix.get(dotted.replace(".", "/"), ()):
            depth = dotted.count(".") + (2 if path.endswith(("__init__.py", "__init__.pyi")) else 1)
            top_dir = "/".join(path.split("/")[:-depth])
            if posixpath.join(top_dir, "__init__.py") not in self.layout.files:
                return path
        return None

    def _relative_file(self, path: str, level: int, dotted: str) -> str | None:
        base = posixpath.dirname(path)
        for _ in range(level - 1):
            base = posixpath.dirname(base)
        rel = normalize_path(posixpath.join(base, *dotted.split("."))) if dotted else base
        if rel is None:
            return None
        for candidate in (rel + ".py", rel + ".pyi", posixpath.join(rel, "__init__.py")):
            if candidate in self.layout.files:
                return candidate
        return None

    def _find(self, path: str, level: int, dotted: str) -> str | None:
        return self._relative_file(path, level, dotted) if level else self._module_file(dotted)

    def resolve(self, path: str, raw: RawImport) -> Resolved:
        module, level = raw.module, raw.level
        result = Resolved()
        if not raw.names:  # import a.b.c / from x import *
            parts = module.split(".")
            for end in range(len(parts), 0, -1):  # the deepest module that exists here
                dotted = ".".join(parts[:end])
                found = self._find(path, level, dotted)
                if found:
                    result.targets.append(found)
                    if not raw.wildcard:  # code reads a.b.c.x, or m.x after `as m`
                        result.modules.append((raw.alias or dotted, found))
                    break
            top = parts[0]
            if not raw.alias and not raw.wildcard and not level and len(parts) > 1:
                package = self._find(path, level, top)  # `import a.b` binds `a` too
                if package and (top, package) not in result.modules:
                    result.modules.append((top, package))
            return result
        base = self._find(path, level, module)
        for local, original in raw.names:
            submodule = self._find(path, level, f"{module}.{original}" if module else original)
            if submodule:  # from pkg import module
                result.targets.append(submodule)
                result.modules.append((local, submodule))
            elif base:
                result.names.append((local, base, original))
        if base and result.names:
            result.targets.append(base)
        return result
