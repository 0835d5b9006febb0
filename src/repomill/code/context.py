"""Cross-file context: the definitions from *other* files that a piece of code uses,
resolved through its file's imports (and, in languages whose same-package names need no
import, by unique name; in Rust also through the paths it spells out; pytest fixtures by a
test's parameter names), ranked, rendered
and fitted to a token budget by dropping whole lowest-ranked items."""

from __future__ import annotations

import posixpath
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol

from repomill.code.file_index import IDENTIFIER
from repomill.code.languages import LANGUAGES, language_for_path
from repomill.code.languages.base import TYPE_KINDS, LanguageSpec
from repomill.code.paths import RustPaths, exported, meant
from repomill.code.render import render_symbol
from repomill.code.repo_index import Visibility
from repomill.code.resolve import EXPORT
from repomill.code.uses import code_uses
from repomill.tokens import TokenCounter

# How a referenced name was found; higher ranks first.
NAMED_IMPORT, MODULE_IMPORT, UNIQUE_NAME = 3, 2, 1
INFERRED = UNIQUE_NAME  # through the class of a value the code does not annotate
MAX_CANDIDATES = 64


@dataclass
class ContextItem:
    path: str
    symbol: str
    kind: str
    start_line: int
    end_line: int
    text: str
    how: int  # NAMED_IMPORT, MODULE_IMPORT, UNIQUE_NAME or INFERRED
    uses: int  # how often the code mentions the name
    tokens: int = 0
    chunk_id: str = ""  # the chunk holding the definition

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "symbol": self.symbol,
            "kind": self.kind,
            "start_line": self.start_line,
            "end_line": self.end_line,
            "text": self.text,
        }


@dataclass
class Context:
    imports: str  # the import statements of the code's own file
    items: list[ContextItem] = field(default_factory=list)
    dropped: int = 0  # candidates left out to meet the budget
    tokens: int = 0


class SymbolLookup(Protocol):
    """What context selection asks of an index (the whole-repo `RepoIndex`, or the
    `RevisionIndex` the commit recipe moves through history)."""

    def visible_from(
        self, path: str, imports: list[dict[str, Any]] | None = None
    ) -> Visibility | None:
        """What `path` sees through its imports, or through `imports` (its imports at
        another revision) resolved here."""
        ...

    def defined_in(self, path: str, name: str) -> list[dict[str, Any]]: ...
    def members_of(self, path: str, qualname: str) -> list[dict[str, Any]]: ...
    def files_defining(self, name: str) -> list[str]: ...
    def unique_elsewhere(self, name: str, path: str) -> dict[str, Any] | None: ...
    def imports_of(self, path: str) -> list[dict[str, Any]]: ...


def candidates(
    index: SymbolLookup,
    path: str,
    code: str,
    seen: Visibility | None = None,
    owner: str | None = None,
) -> list[ContextItem]:
    """Every definition in another file that the code uses, ranked; `seen` is what the
    code sees of other files (by default what `path` sees); `owner`, the type the code is
    a member of (a method's `impl`), is what Rust's `Self` and `self.m()` mean."""
    language = language_for_path(path)
    if language is None:
        return []
    spec = LANGUAGES[language]
    seen = seen or index.visible_from(path)
    aliases = seen.aliases if seen is not None else {}
    used = code_uses(language, code)
    counts = Counter(IDENTIFIER.findall(code))
    found: dict[tuple[str, str, int], ContextItem] = {}

    def add(symbols, name: str | None = None) -> None:
        for symbol, how in symbols:
            key = (symbol["path"], symbol["qualname"], symbol["start_line"])
            if symbol["path"] != path and key not in found:
                found[key] = _item(index, symbol, how, counts[name or symbol["name"]])

    for name in sorted(used.names - aliases.keys()):
        add(_resolve_name(index, path, name, seen, spec), name)
    for name in sorted(used.names & aliases.keys()) if spec.module_value_is_default else ():
        add(((s, MODULE_IMPORT) for target in aliases[name]
             for s in exported(index, target, "default", True)), name)  # fmt: skip
    for obj, member in sorted(used.members):
        add(_resolve_member(index, path, obj, member, seen, spec), member)
    for name in sorted(used.fixtures):
        add(_fixture(index, path, name), name)
    values = _Values(index, path, seen, spec, used)
    for obj, member in sorted(used.local_members):
        add(values.members(obj, member), member)
    if used.paths or used.macros:
        self_type = next(iter(used.self_types)) if len(used.self_types) == 1 else None
        if self_type is None and owner:
            self_type = owner.rpartition(".")[2]
        rust = RustPaths(index, path, seen, sorted(used.paths | used.macros), self_type)
        for segments in sorted(used.paths):
            add(rust.resolve(segments))
        for segments in sorted(used.macros):
            add(rust.macro(segments))
    ranked = sorted(
        found.values(),
        key=lambda i: (-i.how, -i.uses, i.kind not in TYPE_KINDS, i.path, i.start_line),
    )
    return ranked[:MAX_CANDIDATES]


def _resolve_name(index: SymbolLookup, path: str, name: str, seen, spec: LanguageSpec):
    """(definition, how) pairs a bare name stands for: what the file's imports bind it to,
    else, in languages whose same-package names need no import, the one other file that
    defines it."""
    follow = not spec.unique_names
    if seen is not None and name in seen.named:
        for target, original in seen.named[name]:
            yield from ((s, NAMED_IMPORT) for s in exported(index, target, original, follow))
        return
    if seen is not None:
        in_modules = [s for target in seen.modules for s in exported(index, target, name, follow)]
        if in_modules:
            yield from ((s, MODULE_IMPORT) for s in in_modules)
            return
    if not spec.unique_names or index.defined_in(path, name):
        return  # a definition of this file shadows any elsewhere
    unique = index.unique_elsewhere(name, path)
    if unique is not None and unique["kind"] != "impl":
        yield unique, UNIQUE_NAME


def _resolve_member(index: SymbolLookup, path: str, obj: str, member: str, seen,
                    spec: LanguageSpec):  # fmt: skip
    """What `obj.member` stands for: a definition of the module `obj` names, or a member
    of the class (type) `obj` resolves to."""
    if seen is not None and obj in seen.aliases:
        follow = not spec.unique_names
        for target in seen.aliases[obj]:
            yield from ((s, MODULE_IMPORT) for s in exported(index, target, member, follow))
        return
    if "." in obj:
        return
    for owner, how in _resolve_name(index, path, obj, seen, spec):
        classes = [owner] if owner["kind"] in TYPE_KINDS else _returned(index, owner, spec)
        for cls in classes:  # `x.m` of `x: C`, `x = C()`, or `x = f()` where f returns C
            yield from ((symbol, how) for symbol in _members_named(index, cls, member))


def _members_named(index: SymbolLookup, cls: dict, member: str) -> list[dict]:
    """The members of a class (type) named `member`: in its body, or, where methods are
    declared apart from their type (Go), in any file of the type's package."""
    named = [s for s in index.members_of(cls["path"], cls["qualname"]) if s["name"] == member]
    language = language_for_path(cls["path"])
    if not named and language is not None and LANGUAGES[language].methods_apart:
        package, qualname = posixpath.dirname(cls["path"]), f"{cls['qualname']}.{member}"
        named = [s for where in index.files_defining(member)
                 if posixpath.dirname(where) == package
                 for s in index.defined_in(where, member) if s["qualname"] == qualname]  # fmt: skip
    return meant(cls["path"], named)


def _returned(index: SymbolLookup, function: dict, spec: LanguageSpec) -> list[dict]:
    """The classes a function returns, as its code writes them (`returns`), found from
    its own file: defined there or imported."""
    name = function.get("returns")
    if not name or function["kind"] in TYPE_KINDS:
        return []
    where = function["path"]
    own = [s for s in index.defined_in(where, name) if s["top_level"]]
    found = own or [s for s, _ in _resolve_name(index, where, name, index.visible_from(where),
                                                spec)]  # fmt: skip
    return [s for s in found if s["kind"] in TYPE_KINDS]


class _Values:
    """The classes of a piece of code's local values that it does not annotate: a pytest
    fixture's (what the fixture returns) and `x = obj.m(…)`'s (what m returns), followed a
    few steps; `members(x, m)` is what `x.m` reads, with x's class itself."""

    MAX_STEPS = 4

    def __init__(self, index: SymbolLookup, path: str, seen, spec: LanguageSpec, used):
        self.index, self.path, self.seen, self.spec = index, path, seen, spec
        self.made = {name: (obj, method) for name, obj, method in sorted(used.made)}
        self.typed = dict(used.typed)
        self.fixtures = used.fixtures
        self._classes: dict[str, list[dict]] = {}

    def classes(self, name: str, steps: int = 0) -> list[dict]:
        if name in self._classes:
            return self._classes[name]
        self._classes[name] = []  # a cycle (x = x.next()) finds nothing
        found: list[dict] = []
        if name in self.fixtures:  # the test file's own fixture, else conftest's
            own = [s for s in self.index.defined_in(self.path, name) if s["top_level"]]
            for fixture in own or [s for s, _ in _fixture(self.index, self.path, name)]:
                found += _returned(self.index, fixture, self.spec)
        elif name in self.typed:  # `x: C` (a parameter, a receiver) starts a chain
            written = self.typed[name]
            found = [s for s, _ in _resolve_name(self.index, self.path, written, self.seen,
                                                 self.spec) if s["kind"] in TYPE_KINDS]  # fmt: skip
        elif name in self.made and steps < self.MAX_STEPS:
            obj, method = self.made[name]
            for cls in self.classes(obj, steps + 1):
                for function in _members_named(self.index, cls, method):
                    found += _returned(self.index, function, self.spec)
        self._classes[name] = found
        return found

    def members(self, obj: str, member: str):
        for cls in self.classes(obj):
            yield cls, INFERRED
            yield from ((s, INFERRED) for s in _members_named(self.index, cls, member))


def _fixture(index: SymbolLookup, path: str, name: str):
    """The pytest fixture a test's parameter `name` stands for, in the nearest conftest.py
    from its folder up (as pytest looks them up); none when the test file defines its own."""
    if any(s["top_level"] for s in index.defined_in(path, name)):
        return
    folder = posixpath.dirname(path)
    while True:
        found = exported(index, posixpath.join(folder, "conftest.py"), name, False)
        if found or not folder:
            yield from ((s, NAMED_IMPORT) for s in found)  # bound by name, like an import
            return
        folder = posixpath.dirname(folder)


def _item(index: SymbolLookup, symbol: dict, how: int, uses: int) -> ContextItem:
    members = index.members_of(symbol["path"], symbol["qualname"])
    return ContextItem(
        path=symbol["path"],
        symbol=symbol["qualname"],
        kind=symbol["kind"],
        start_line=symbol["start_line"],
        end_line=symbol["end_line"],
        text=render_symbol(symbol, members),
        how=how,
        uses=uses,
        chunk_id=symbol.get("chunk_id", ""),
    )


def import_block(index: SymbolLookup, path: str) -> str:
    statements: list[str] = []
    for raw in index.imports_of(path):
        if raw["alias"] not in ("package", EXPORT) and raw["statement"] not in statements:
            statements.append(raw["statement"])
    return "\n".join(statements)


def select_context(
    index: SymbolLookup, path: str, code: str, budget: int, tokenizer: TokenCounter
) -> Context:
    """The imports of `path` and the ranked definitions `code` uses, within `budget` tokens.
    Items are kept in rank order until one does not fit; it and all lower ones are dropped."""
    imports = import_block(index, path)
    context = Context(imports=imports, tokens=tokenizer.count(imports) if imports else 0)
    if context.tokens > budget:
        context.imports, context.tokens = "", 0
    ranked = candidates(index, path, code)
    for position, item in enumerate(ranked):
        item.tokens = tokenizer.count(item.text)
        if context.tokens + item.tokens > budget:
            context.dropped = len(ranked) - position
            break
        context.items.append(item)
        context.tokens += item.tokens
    return context
