"""What code uses from outside itself: names it binds and attribute names after a dot are
no references; `obj.member` pairs are kept apart."""

import pytest

from repomill.code.uses import code_uses

PYTHON = '''def run(index, path=None, *args, flag: bool = False, **options):
    """Uses Helper."""
    total, count = 0, 0
    for item in index.items:
        total += item.size
    with open(path) as handle:
        lines = [line for line in handle]
    try:
        fmt(lines, width=80)
    except Failure as error:
        log(error)
    if (found := lookup(path)) is not None:
        return util.parse(found), pkg.sub.Thing, self.cache
    return lambda value: value
'''

TYPESCRIPT = """export function greet(user: User, opts?: Options, ...rest: string[]): string {
  const { width, pad: padding } = opts;
  const [first] = rest;
  for (const part of rest) { shout(part); }
  try { run(); } catch (err) { report(err); }
  const t: ns.Type = f.fmt(user.name, { width: 1 });
  return padding + first + t + ((x) => x);
}
"""

JAVA = """public int total(Item item, int of) {
    int sum = 0;
    for (Item each : items) { sum += each.price; }
    return sum + Tax.of(item.price) + of;
}
"""

GO = """func Greet(u model.User, names ...string) string {
\tprefix := Clean(u.Name)
\tfor i, n := range names { prefix += n }
\treturn prefix
}
"""

RUST = """fn run(searcher: &Searcher, (first, _): (u8, u8), mut opts: Options) -> Out<T> {
    let Config { width: w, ref pad } = opts.config;
    let local = Builder::new().build();
    for (i, item) in items.iter().enumerate() { local.push(i, item.size); }
    match mode { Mode::Search(inner) => inner, Mode::Count { total, .. } => total, other => other, LIMIT => 0 };
    if let Some(found) = lookup(&w) { report!(found, |value: Value| value.field, "Text in a string") }
    crate::flags::LowArgs::default();
    self.helper(pad)
}
"""

# language -> (code, bare names expected, names never bare, member pairs expected)
CASES = {
    "python": (
        PYTHON,
        {"Helper", "open", "fmt", "Failure", "log", "lookup", "util", "pkg", "Uses"},
        {"index", "path", "args", "flag", "options", "total", "count", "item", "size",
         "handle", "lines", "line", "width", "error", "found", "parse", "Thing", "cache",
         "value", "items", "run"},
        {("util", "parse"), ("pkg", "sub"), ("pkg.sub", "Thing")},
    ),
    "typescript": (
        TYPESCRIPT,
        {"User", "Options", "shout", "run", "report", "ns", "f"},
        {"user", "opts", "rest", "width", "pad", "padding", "first", "part", "err", "t",
         "x", "name", "fmt", "Type", "greet"},
        {("ns", "Type"), ("f", "fmt")},
    ),
    "java": (
        JAVA,
        {"Item", "items", "Tax"},
        {"item", "of", "sum", "each", "price"},
        {("Tax", "of")},
    ),
    "go": (
        GO,
        {"model", "Clean"},
        {"u", "names", "prefix", "i", "n", "Name", "User"},
        {("model", "User")},
    ),
    "rust": (
        RUST,
        {"Searcher", "Options", "Out", "T", "Config", "items", "mode", "lookup", "Value", "LIMIT"},
        {"searcher", "first", "opts", "w", "pad", "width", "config", "local", "i", "item",
         "size", "inner", "total", "other", "found", "value", "field", "Text", "Builder", "new",
         "Mode", "LowArgs", "helper", "report", "run", "push", "build"},
        set(),
    ),
}  # fmt: skip


@pytest.mark.parametrize("language", sorted(CASES))
def test_bound_names_and_attributes_are_not_bare_references(language):
    code, bare, never, members = CASES[language]
    uses = code_uses(language, code)
    assert bare <= uses.names
    assert not never & uses.names
    assert uses.members == members


def test_members_of_bound_objects_are_left_out():
    uses = code_uses("python", "def f(self, repo):\n    return self.x + repo.y + mod.z\n")
    assert uses.members == {("mod", "z")}


@pytest.mark.parametrize(
    "language, code",
    [
        ("typescript", "const m = `the ${helper(x)} timeout` + 'of path';"),
        ("java", 'String m = helper("the timeout of path");'),
        ("go", 'm := helper("the timeout of path") + `raw`'),
    ],
)
def test_words_in_strings_are_no_references(language, code):
    uses = code_uses(language, code)
    assert "helper" in uses.names
    assert not {"the", "timeout", "of", "path", "raw"} & uses.names


def test_python_strings_count_for_quoted_annotations():
    assert "Order" in code_uses("python", 'def f(o: "Order"):\n    pass\n').names


def test_in_a_fragment_that_does_not_parse_names_count_as_written():
    fragment = "\tawait check(\n\t\tclient(url, {\n\t\t\tlimit: 5,\n\t\t}).text(),\n\t\t{\n"
    fragment += "\t\t\tmessage: /Too Large/,\n\n\tawait measure({\n\t\tt,\n\t\tasync run() {\n"
    assert {"check", "client", "measure"} <= code_uses("typescript", fragment).names


def test_an_indented_fragment_parses():
    uses = code_uses("python", "    def m(self, arg):\n        return helper(arg)\n")
    assert uses.names == {"helper"}


def test_rust_paths_macros_and_the_impl_type_are_kept_whole():
    uses = code_uses("rust", RUST)
    assert uses.paths == {
        ("Builder", "new"),
        ("Mode", "Search"),
        ("Mode", "Count"),
        ("crate", "flags", "LowArgs", "default"),
        ("Self", "helper"),
    }
    assert uses.macros == {("report",)}
    code = "impl<T> Sink for Printer<T> {\n    fn f(&self) -> T { T::default() }\n}\n"
    uses = code_uses("rust", code)
    assert uses.self_types == {"Printer"} and uses.paths == set()  # T is the impl's own


def test_rust_methods_of_bindings_with_a_written_type():
    code = (
        "fn f(dir: &Dir, m: impl Matcher, other: u8) {\n"
        "    let mut out: crate::Printer = make();\n"
        "    dir.create(); m.find(); out.print(); other.x(); unknown.y();\n"
        "    let g = |dir: Other| dir.create();\n}\n"
    )
    uses = code_uses("rust", code)
    assert uses.paths == {("Matcher", "find"), ("crate", "Printer"), ("crate", "Printer", "print")}


def test_rust_use_trees_are_paths_and_bind_no_bare_names():
    uses = code_uses("rust", "use crate::x::{self, y::{A, B as C}, z::*};\nfn f() -> C {}\n")
    assert uses.paths == {("crate", "x", "y", "A"), ("crate", "x", "y", "B")}
    assert uses.names == {"C"}


def test_rust_macro_arguments_that_do_not_parse_count_as_written():
    uses = code_uses("rust", "fn f() { m!(a => Kind::B, $x); }")
    assert {"a", "Kind", "B"} <= uses.names and uses.macros == {("m",)}
