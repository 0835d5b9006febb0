"""JavaScript/TypeScript imports: relative paths with extension and index-file probing,
`.js` specifiers that name `.ts` sources, and tsconfig/jsconfig `baseUrl` + `paths`."""

from __future__ import annotations

import json
import posixpath
import re

from repomill.code.resolve.base import RawImport
from repomill.code.resolve.layout import RepoLayout, Resolved, normalize_path

EXTENSIONS = (".ts", ".tsx", ".d.ts", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")
_JS_TO_TS = {".js": (".ts", ".tsx"), ".jsx": (".tsx",), ".mjs": (".mts",), ".cjs": (".cts",)}
_COMMENTS = re.compile(r'("(?:\\.|[^"\\])*")|//[^\n]*|/\*.*?\*/', re.DOTALL)
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")


def _read_jsonc(text: str) -> dict:
    """tsconfig files allow comments and trailing commas."""
    without = _COMMENTS.sub(lambda m: m.group(1) or "", text)
    try:
        value = json.loads(_TRAILING_COMMA.sub(r"\1", without))
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


class JavaScriptResolver:
    def __init__(self, layout: RepoLayout):
        self.layout = layout
        self.configs: dict[str, tuple[str, dict[str, list[str]]]] = {}
        for path, text in layout.project_files.items():
            if posixpath.basename(path) in ("tsconfig.json", "jsconfig.json"):
                options = _read_jsonc(text).get("compilerOptions") or {}
                base = posixpath.join(posixpath.dirname(path), options.get("baseUrl") or ".")
                paths = options.get("paths") or {}
                self.configs[path] = (normalize_path(base) or "", paths)

    def _probe(self, base: str) -> str | None:
        files = self.layout.files
        stem, ext = posixpath.splitext(base)
        candidates = [base] if ext else []
        candidates += [stem + alt for alt in _JS_TO_TS.get(ext, ())]
        candidates += [base + e for e in EXTENSIONS]
        candidates += [posixpath.join(base, "index" + e) for e in EXTENSIONS]
        return next((c for c in candidates if c in files), None)

    def _target(self, path: str, spec: str) -> str | None:
        if spec.startswith("."):
            base = normalize_path(posixpath.join(posixpath.dirname(path), spec))
            return self._probe(base) if base is not None else None
        config = self.layout.nearest(path, ("tsconfig.json", "jsconfig.json"))
        if config is None or config not in self.configs:
            return None
        base_url, paths = self.configs[config]
        for pattern, replacements in paths.items():
            prefix, star, suffix = pattern.partition("*")
            if star and spec.startswith(prefix) and spec.endswith(suffix):
                matched = spec[len(prefix) : len(spec) - len(suffix)]
            elif not star and spec == pattern:
                matched = ""
            else:
                continue
            for replacement in replacements:
                joined = normalize_path(posixpath.join(base_url, replacement.replace("*", matched)))
                found = self._probe(joined) if joined is not None else None
                if found:
                    return found
        joined = normalize_path(posixpath.join(base_url, spec))  # bare baseUrl imports
        return self._probe(joined) if joined else None

    def resolve(self, path: str, raw: RawImport) -> Resolved:
        target = self._target(path, raw.module)
        if target is None:
            return Resolved()
        names = [(local, target, orig) for local, orig in raw.names]
        return Resolved([target], names, [(raw.alias, target)] if raw.alias else [])
