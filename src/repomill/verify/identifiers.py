"""Whether the code identifiers an answer names exist in the repository.

Named: every identifier in a code span or fenced block of the answer, string literals,
numbers, comments and reserved words of the indexed languages left out, dotted and `::`
paths, `Type#member` and calls split into parts (`OrderService.create()` names
`OrderService` and `create`).
Spans that are not code are skipped whole: routes and paths (`/order/create`,
`POST /pay/{id}`, `src/a.py`), file names (`Order.java`), SQL (`SELECT …`, an uppercase
first keyword), and fenced blocks of a data or shell language (sql, json, bash…). Plain
words in backticks are identifier-shaped and so checked: `quantity out of range` is not
code of the repository.

Known (`known_identifiers`): the index has no fields or enum constants, so besides every
symbol's name and qualname parts it takes every identifier of every chunk's code, read by
the same tokenizer (comments and string literals left out, but a literal that is itself an
identifier, like "pageSize", counts), and the indexed files' paths. A type also lists its
members, as `Type.member` entries under a `Type.` marker: its child symbols, the names it
declares (those of its body not reached through a `.`, plus `this.x`/`self.x`) and, through
its signature, the members of its in-repository bases. `A.b` where `A` is such a type
passes only if `b` is a member (or one of BUILTIN_MEMBERS), so `OrderService.refund` fails
even where some other `refund` exists. Gaps: locals count as known (`order` passes
anywhere), and a member reached through a variable (`orderMapper.cancel`) is only checked
to exist somewhere, as is a member of a module (`repository.borrow_book`)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from repomill.verify import markdown
from repomill.verify.citations import DETAIL_CHARS, Problem


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


KEYWORDS = _words(
    """abstract and as assert async await boolean break byte case catch char class const
    continue crate def default defer del do double dyn elif else enum except extends extern
    false False final finally float fn for from func go goto if impl implements import in
    instanceof int interface is lambda let long loop match mod mut native new nil None
    nonlocal not null or package pass private protected pub public raise return self Self
    short static struct super switch synchronized this throw throws trait transient true True
    try type typeof undefined unsafe use var void volatile where while with yield"""
)
BUILTIN_MEMBERS = _words("class length name ordinal value values valueOf")
TYPE_KINDS = _words("class struct enum trait interface type union record annotation object")
SKIPPED_BLOCKS = _words(
    """bash console csv diff html http ini json markdown md mermaid plain plaintext
    properties sh shell sql text toml txt xml yaml yml"""
)
_SQL_VERBS = _words("SELECT INSERT UPDATE DELETE WITH FROM WHERE JOIN CREATE ALTER")
_ROUTE = re.compile(
    r"(?:(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s+)?[\w.{}<>:*~@$%+=,-]*/[\w./{}<>:*~@$%+=,-]*"
)
_FILE = re.compile(
    r"[\w.-]+\.(?:java|py|pyi|xml|ya?ml|json|jsx?|tsx?|mjs|go|rs|kts?|scala|rb|php|cs|cc|cpp"
    r"|hpp|[ch]|md|txt|properties|sql|html?|css|toml|cfg|ini|gradle|sh|vue|swift|lock)"
)
_SEP = re.compile(r"\s*(?:\.|::)\s*|#")
_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*")
_LANGUAGE_STYLE = {"python": "hash", "rust": "rust"}  # the rest: // and /* */ comments


@cache
def _scanner(style: str) -> re.Pattern[str]:
    """Strings, comments, numbers and identifier chains of code in one style: "hash"
    (# comments), "slash" (// and /* */), "rust" (slash, and ' only in char literals),
    "answer" (all three comment kinds: an answer's code may be in any language)."""
    single = r"'(?:\\.[^'\n]{0,8}|[^'\\\n])'" if style == "rust" else r"'(?:[^'\\\n]|\\.)*'"
    strings = [
        r'"""(?:[^"\\]|\\[\s\S]?|"(?!""))*(?:"""|\Z)',
        r"'''(?:[^'\\]|\\[\s\S]?|'(?!''))*(?:'''|\Z)",
        r'"(?:[^"\\\n]|\\.)*"?',
        single,
    ]
    comments = []
    if style != "hash":
        comments += [r"//[^\n]*", r"/\*(?:[^*]|\*(?!/))*(?:\*/|\Z)"]
    if style in ("hash", "answer"):
        comments.append(r"(?<!\S)\#[^\n]*")  # `A#b` is a member, as javadoc writes it
    return re.compile(
        f"(?P<s>{'|'.join(strings)})|(?P<c>{'|'.join(comments)})|(?P<n>\\d[\\w.]*)"
        r"|(?P<id>[A-Za-z_$][\w$]*(?:(?:\s*(?:\.|::)\s*|\#)[A-Za-z_$][\w$]*)*)"
    )


def _scan(code: str, style: str) -> tuple[list[list[str]], list[str]]:
    """The identifier chains of `code` (each a list of parts) and its string literals."""
    chains: list[list[str]] = []
    literals: list[str] = []
    for m in _scanner(style).finditer(code):
        if m.lastgroup == "id":
            chains.append(_SEP.split(m[0]))
        elif m.lastgroup == "s":
            literals.append(m[0].strip("\"'"))
    return chains, literals


def code_identifiers(code: str, language: str | None = None) -> set[str]:
    """Every identifier of `code` (an index language's, or None: any), with the parts of
    string literals that are identifiers themselves."""
    chains, literals = _scan(code, _LANGUAGE_STYLE.get(language or "", "slash"))
    names = {part for chain in chains for part in chain}
    names.update(p for text in literals if _IDENTIFIER.fullmatch(text) for p in text.split("."))
    return names


def _not_code(span: str) -> bool:
    """Whether a code span is a route, path, file name or SQL rather than code."""
    words = span.split()
    if not words:
        return True
    return bool(_ROUTE.fullmatch(span) or _FILE.fullmatch(span) or _is_sql(span))


def _is_sql(code: str) -> bool:
    words = code.split(maxsplit=1)
    return len(words) > 1 and words[0] in _SQL_VERBS


def _without_keywords(chain: list[str]) -> list[list[str]]:
    """A chain cut at its reserved words: `this.a.b` → [a, b]; `A.class.b` → [A], [b]."""
    if KEYWORDS.isdisjoint(chain):
        return [chain]
    pieces: list[list[str]] = [[]]
    for part in chain:
        if part in KEYWORDS:
            pieces.append([])
        else:
            pieces[-1].append(part)
    return [p for p in pieces if p]


def _answer_chains(answer: str) -> list[tuple[str, ...]]:
    """The distinct identifier chains an answer names, in order of first mention."""
    parsed = markdown.parse(answer)
    codes = [span for span in parsed.spans if not _not_code(span)]
    codes += [body for info, body in parsed.code_blocks
              if info not in SKIPPED_BLOCKS and not _is_sql(body)]  # fmt: skip
    seen: dict[tuple[str, ...], None] = {}
    for code in dict.fromkeys(codes):
        for chain in _scan(code, "answer")[0]:
            for piece in _without_keywords(chain):
                seen.setdefault(tuple(piece), None)
    return list(seen)


def named_identifiers(answer: str) -> list[str]:
    """The distinct identifiers an answer names (dotted names split), in order."""
    return list(dict.fromkeys(part for chain in _answer_chains(answer) for part in chain))


def qualified_names(answer: str) -> list[str]:
    """The distinct dotted names an answer names, `::` written as `.`, in order."""
    return [".".join(chain) for chain in _answer_chains(answer)]


def component_name(name: str) -> str:
    """A name as `known` spells it: `A::b(x)` → `A.b`."""
    return ".".join(_SEP.split(name.split("(", 1)[0].strip()))


def resolves(name: str, known: set[str], declared: Iterable[str] = ()) -> bool:
    """Whether a dotted name exists: each part known or declared new, and each `A.b` with
    `A` a type of the repository a member of it (or declared: as `A.b`, or `b`)."""
    full = {component_name(d) for d in declared}
    return _resolves(component_name(name).split("."), known, full, _parts(full))


def _parts(names: set[str]) -> set[str]:
    return {part for name in names for part in name.split(".")}


def _resolves(parts: Sequence[str], known: set[str], declared: set[str], new: set[str]) -> bool:
    if not all(p in known or p in new or (i and p in BUILTIN_MEMBERS) for i, p in enumerate(parts)):
        return False
    return all(
        f"{a}." not in known or f"{a}.{b}" in known or b in BUILTIN_MEMBERS
        or f"{a}.{b}" in declared or b in new
        for a, b in zip(parts, parts[1:], strict=False)
    )  # fmt: skip


def check_identifiers(
    answer: str, known: set[str], declared_new: Iterable[str] = frozenset()
) -> Problem | None:
    """`hallucinated_identifier` naming each code name of the answer that does not exist
    in the repository (`known`) and is not a declared new component."""
    declared = {component_name(d) for d in declared_new}
    new = _parts(declared)
    bad = [".".join(c) for c in _answer_chains(answer) if not _resolves(c, known, declared, new)]
    return Problem("hallucinated_identifier", names_detail(bad)) if bad else None


def names_detail(names: list[str]) -> str:
    """A Problem's detail listing names: as many as fit (at least one, cut), how many more."""
    shown: list[str] = []
    for name in names:
        if shown and len(", ".join([*shown, name])) > DETAIL_CHARS:
            break
        shown.append(name if len(name) <= DETAIL_CHARS else name[: DETAIL_CHARS - 1] + "…")
    more = len(names) - len(shown)
    return ", ".join(shown) + (f" (+{more} more)" if more else "")


def known_identifiers(index: Any, extra_texts: Iterable[str] = ()) -> set[str]:
    """The names an answer about the repository of `index` (a RepoIndex) may use; see the
    module docstring. `extra_texts`: more code the samples cite (e.g. SQL statements)."""
    known = {file["path"] for file in index.files}
    by_path: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for chunk in index.chunks:
        by_path[chunk["path"]].append(chunk)
        known |= code_identifiers(chunk["text"], chunk.get("language"))
    for text in extra_texts:
        known |= code_identifiers(text)
    for symbol in index.symbols:
        known.add(symbol["name"])
        known.update(_SEP.split(symbol["qualname"]))
    for type_name, members in _members(index.symbols, by_path).items():
        known.add(f"{type_name}.")
        known.update(f"{type_name}.{member}" for member in members)
    return known


Records = list[dict[str, Any]]


def _members(symbols: Records, by_path: dict[str, Records]) -> dict[str, set[str]]:
    """Type name -> its members: child symbols, names its body declares, and (through its
    signature) its in-repository bases' members. Types of one name share one entry."""
    types = [s for s in symbols if s["kind"] in TYPE_KINDS]
    type_names = {t["name"] for t in types}
    own: dict[str, set[str]] = defaultdict(set)
    bases: dict[str, set[str]] = defaultdict(set)
    for symbol in symbols:  # a member's owner: its parent, or its qualname's head (Go)
        owner = symbol.get("parent") or symbol["qualname"].rpartition(".")[0]
        if (owner_name := owner.rpartition(".")[2]) in type_names:
            own[owner_name].add(symbol["name"])
    for t in types:
        style = _LANGUAGE_STYLE.get(t.get("language") or "", "slash")
        own[t["name"]] |= _declared(_body(t, by_path.get(t["path"], [])), style)
        signature = {p for chain in _scan(t.get("signature") or "", style)[0] for p in chain}
        bases[t["name"]] |= (signature & type_names) - {t["name"]}
    return {name: _inherited(name, own, bases) for name in own}


def _inherited(name: str, own: dict[str, set[str]], bases: dict[str, set[str]]) -> set[str]:
    members: set[str] = set()
    todo, seen = [name], {name}
    while todo:
        current = todo.pop()
        members |= own.get(current, set())
        for base in bases.get(current, ()):
            if base not in seen:
                seen.add(base)
                todo.append(base)
    return members


def _body(t: dict[str, Any], chunks: list[dict[str, Any]]) -> str:
    """A type's source: its byte range cut from the chunks of its file that overlap it."""
    start, end = t.get("start_byte"), t.get("end_byte")
    if not isinstance(start, int) or not isinstance(end, int):
        return t.get("text") or ""
    parts = []
    for chunk in sorted(chunks, key=lambda c: c["start_byte"]):
        if chunk["start_byte"] < end and start < chunk["end_byte"]:
            data = chunk["text"].encode("utf-8")
            cut = data[max(start - chunk["start_byte"], 0) : end - chunk["start_byte"]]
            parts.append(cut.decode("utf-8", errors="ignore"))
    return "\n".join(parts)


def _declared(body: str, style: str) -> set[str]:
    """The names a body declares: chains' first parts, or the part after `this`/`self`."""
    names = set()
    for chain in _scan(body, style)[0]:
        if chain[0] in ("this", "self") and len(chain) > 1:
            names.add(chain[1])
        elif chain[0] not in KEYWORDS:
            names.add(chain[0])
    return names
