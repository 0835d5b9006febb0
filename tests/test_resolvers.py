"""Every registered language resolver is a `Resolver`: resolve(path, RawImport) -> Resolved."""

import inspect

import pytest

from repomill.code.resolve import RESOLVERS, RawImport, RepoLayout, Resolved, Resolver

# language -> (a tiny repository, an importing file, its import, what that resolves to)
TS = (
    RepoLayout({"src/a.ts", "src/b.ts"}, {}),
    "src/a.ts",
    RawImport("./b", names=(("x", "x"),)),
    Resolved(["src/b.ts"], [("x", "src/b.ts", "x")]),
)
FIXTURES = {
    "python": (
        RepoLayout({"pkg/__init__.py", "pkg/a.py", "pkg/b.py"}, {}),
        "pkg/a.py",
        RawImport("pkg.b", names=(("f", "f"),)),
        Resolved(["pkg/b.py"], [("f", "pkg/b.py", "f")]),
    ),
    "typescript": TS,
    "tsx": TS,
    "javascript": TS,
    "rust": (
        RepoLayout({"src/main.rs", "src/util.rs"}, {"Cargo.toml": '[package]\nname = "app"\n'}),
        "src/main.rs",
        RawImport("crate::util", names=(("round", "round"),)),
        Resolved(["src/util.rs"], [("round", "src/util.rs", "round")]),
    ),
    "java": (
        RepoLayout({"a/A.java", "b/B.java"}, {}, packages={"a/A.java": "a", "b/B.java": "b"}),
        "a/A.java",
        RawImport("b.B", names=(("B", "B"),)),
        Resolved(["b/B.java"], [("B", "b/B.java", "B")]),
    ),
    "go": (
        RepoLayout({"main.go", "util/u.go", "util/u_test.go"}, {"go.mod": "module ex.com/m\n"}),
        "main.go",
        RawImport("ex.com/m/util", alias="util"),
        Resolved(["util/u.go"], modules=[("util", "util/u.go")]),
    ),
}


def test_every_registered_language_has_a_fixture():
    assert set(FIXTURES) == set(RESOLVERS)


@pytest.mark.parametrize("language", sorted(RESOLVERS))
def test_resolver_satisfies_the_protocol_and_resolves_a_raw_import(language):
    layout, path, raw, expected = FIXTURES[language]
    resolver = RESOLVERS[language](layout)
    assert isinstance(resolver, Resolver)
    assert list(inspect.signature(resolver.resolve).parameters) == ["path", "raw"]
    assert resolver.resolve(path, raw) == expected


def test_raw_import_round_trips_through_its_stored_form():
    raw = RawImport("x", names=(("a", "b"),), alias="m", wildcard=True, level=2, line=7)
    stored = {**raw.to_json(), "statement": "import x", "resolved": []}
    assert RawImport.from_json(stored) == raw
