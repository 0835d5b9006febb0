"""Which definitions of other files Rust context resolves a name to: only through `use`,
`mod`, the paths the code spells out (crate::, self::, super::, workspace crates) and
re-exports followed; methods only through their type; macros through `use` or their own
crate; never an unimported name, a local, a method of an unrelated type or a test helper."""

import pytest

from repomill.code.build import build_index
from repomill.code.context import candidates
from repomill.code.settings import IndexConfig
from repomill.sources import open_source

from .conftest import make_repo

WORKSPACE = {
    "Cargo.toml": (
        '[workspace]\nmembers = ["crates/searcher", "crates/grep", "crates/other"]\n\n'
        '[package]\nname = "rg"\n\n[[bin]]\nname = "rg"\npath = "crates/core/main.rs"\n\n'
        '[dependencies]\nfinder = { package = "search-lib", path = "crates/searcher" }\n'
        'grep = { path = "crates/grep" }\n'
    ),
    "crates/core/main.rs": (
        "#[macro_use]\nmod messages;\nmod flags;\nmod haystack;\nmod logger;\n\n"
        "use crate::flags::{HiArgs, SearchMode};\n\n"
        "fn run(args: &HiArgs, mode: SearchMode) -> bool {\n"
        '    message!("searching");\n'
        "    args.matcher();\n"
        "    let searcher = haystack::build(args);\n"
        "    searcher.search(mode)\n"
        "}\n"
    ),
    "crates/core/messages.rs": "macro_rules! message {\n    ($($tt:tt)*) => {};\n}\n",
    "crates/core/logger.rs": (
        "pub struct Logger;\n\nimpl Logger {\n    pub fn search(&self) {}\n    pub fn log(&self) {}\n}\n"
    ),
    "crates/core/flags/mod.rs": (
        "pub(crate) use crate::flags::{\n    hiargs::HiArgs,\n"
        "    lowargs::{LowArgs, SearchMode},\n};\n\nmod hiargs;\nmod lowargs;\n"
    ),
    "crates/core/flags/lowargs.rs": (
        "#[derive(Default)]\npub(crate) struct LowArgs {\n    pub(crate) sort: SortMode,\n}\n\n"
        "pub(crate) enum SearchMode {\n    Standard,\n    Json,\n}\n\n"
        "#[derive(Default)]\npub(crate) struct SortMode;\n\n"
        "pub(crate) fn searcher() -> bool {\n    true\n}\n\n"
        "macro_rules! writeln {\n    ($($tt:tt)*) => {};\n}\n"
    ),
    "crates/core/flags/hiargs.rs": (
        "use super::lowargs::{self as low, LowArgs as Low, SortMode};\n"
        "use self::inner::*;\n\n"
        "pub(crate) struct HiArgs {\n    pub(crate) sort: SortMode,\n}\n\n"
        "impl HiArgs {\n"
        "    pub(crate) fn from_low_args(low: Low) -> HiArgs {\n"
        "        let _ = low::searcher();\n"
        "        HiArgs { sort: low.sort }\n"
        "    }\n\n"
        "    pub(crate) fn matcher(&self) -> bool {\n        true\n    }\n"
        "}\n\n"
        "pub(crate) fn defaults() -> HiArgs {\n"
        "    HiArgs::from_low_args(crate::flags::LowArgs::default())\n"
        "}\n\n"
        "mod inner {\n    pub(crate) struct Hidden;\n}\n"
    ),
    "crates/core/haystack.rs": (
        "use finder::Searcher;\nuse grep::searcher::SearcherBuilder;\n\n"
        "pub(crate) fn build(args: &crate::flags::HiArgs) -> Searcher {\n"
        "    let builder = SearcherBuilder::new();\n"
        "    builder.build()\n"
        "}\n\n"
        "pub(crate) fn mode() -> super::flags::SearchMode {\n    super::flags::SearchMode::Json\n}\n\n"
        "fn check() {\n    finder::assert_printed!(1, 1);\n    not_exported!();\n"
        '    writeln!(out, "x");\n}\n'
    ),
    "crates/searcher/Cargo.toml": '[package]\nname = "search-lib"\n',
    "crates/searcher/src/lib.rs": (
        "pub use crate::searcher::{Searcher, SearcherBuilder};\n\n"
        "#[macro_use]\nmod macros;\nmod searcher;\nmod sink;\n"
    ),
    "crates/searcher/src/macros.rs": (
        "#[macro_export]\nmacro_rules! assert_printed {\n    ($a:expr, $b:expr) => {};\n}\n\n"
        "macro_rules! not_exported {\n    () => {};\n}\n"
    ),
    "crates/searcher/src/searcher/mod.rs": (
        "use crate::sink::Sink;\n\n"
        "pub struct Searcher {\n    sink: Sink,\n}\n\n"
        "impl Searcher {\n"
        "    pub fn new() -> Searcher {\n        Searcher { sink: Sink }\n    }\n\n"
        "    pub fn search(&self, mode: u8) -> bool {\n        true\n    }\n"
        "}\n\n"
        "pub struct SearcherBuilder;\n\n"
        "impl SearcherBuilder {\n"
        "    pub fn new() -> SearcherBuilder {\n        SearcherBuilder\n    }\n\n"
        "    pub fn build(&self) -> Searcher {\n        Searcher::new()\n    }\n"
        "}\n"
    ),
    "crates/searcher/src/searcher/glue.rs": (
        "use crate::searcher::Searcher;\n\n"
        "impl Searcher {\n"
        "    pub fn glued(&self) -> bool {\n        self.search(1) && Self::new().search(2)\n    }\n"
        "}\n"
    ),
    "crates/searcher/src/sink.rs": (
        "pub struct Sink;\n\n"
        "#[cfg(test)]\nmod tests {\n    use super::*;\n\n"
        "    pub fn b() -> Sink {\n        Sink\n    }\n}\n"
    ),
    "crates/grep/Cargo.toml": (
        '[package]\nname = "grep"\n\n[dependencies]\nsearch-lib = { path = "../searcher" }\n'
    ),
    "crates/grep/src/lib.rs": "pub extern crate search_lib as searcher;\n",
    "crates/other/Cargo.toml": '[package]\nname = "other"\n',
    "crates/other/src/lib.rs": (
        "mod util;\n\npub fn run() {\n    not_exported!();\n    b();\n    util::helper();\n}\n"
    ),
    "crates/other/src/util.rs": (
        "pub fn helper() {}\n\nmacro_rules! not_exported {\n    () => {};\n}\n"
    ),
}


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    repo = make_repo(tmp_path_factory.mktemp("workspace"), WORKSPACE)
    return build_index(open_source(repo), IndexConfig(workers=1), None,
                       show_progress=False).index  # fmt: skip


def context(index, path: str, line: int, owner: str | None = None,
            code: str | None = None) -> set[tuple[str, str]]:  # fmt: skip
    """(folder/file, symbol) of what the chunk at path:line (or `code` there) uses."""
    code = code if code is not None else index.chunk_at(path, line)["text"]
    found = candidates(index, path, code, owner=owner)
    return {(item.path.rsplit("/", 2)[-2] + "/" + item.path.rsplit("/", 1)[-1], item.symbol)
            for item in found}  # fmt: skip


def test_use_groups_and_pub_use_re_exports_reach_the_definitions(index):
    # main.rs is the crate root a [[bin]] path names; flags/mod.rs re-exports both types
    found = context(index, "crates/core/main.rs", 9)
    assert ("flags/hiargs.rs", "HiArgs") in found
    assert ("flags/lowargs.rs", "SearchMode") in found


def test_a_local_and_a_method_of_an_unrelated_type_are_not_context(index):
    found = context(index, "crates/core/main.rs", 9)
    # `let searcher`: no reference to lowargs' searcher(); `.search()`: its receiver's
    # type is unknown, so Logger.search (or Searcher.search) is no context either
    assert not {s for s in found if s[1] in ("searcher", "Logger.search", "Searcher.search")}
    assert ("core/haystack.rs", "build") in found  # a `mod` the code names: haystack::build
    assert ("flags/hiargs.rs", "HiArgs.matcher") in found  # `args: &HiArgs` … args.matcher()


def test_macro_of_the_same_crate_through_macro_use(index):
    assert ("core/messages.rs", "message") in context(index, "crates/core/main.rs", 9)


def test_super_self_aliases_and_globs(index):
    found = context(index, "crates/core/flags/hiargs.rs", 9)  # HiArgs.from_low_args
    assert ("flags/lowargs.rs", "LowArgs") in found  # `LowArgs as Low`
    assert ("flags/lowargs.rs", "searcher") in found  # `low::searcher()`, `self as low`


def test_qualified_paths_without_use_and_type_methods(index):
    found = context(index, "crates/core/flags/hiargs.rs", 19)  # defaults()
    assert ("flags/lowargs.rs", "LowArgs") in found  # crate::flags::LowArgs::default
    found = context(index, "crates/core/haystack.rs", 9)  # mode(): super::flags::…::Json
    assert ("flags/lowargs.rs", "SearchMode") in found


def test_workspace_crates_renamed_dependencies_and_extern_crate_facades(index):
    found = context(index, "crates/core/haystack.rs", 4)  # build()
    assert ("searcher/mod.rs", "Searcher") in found  # finder = { package = "search-lib" }
    assert ("searcher/mod.rs", "SearcherBuilder") in found  # grep::searcher (extern crate)
    assert ("searcher/mod.rs", "SearcherBuilder.new") in found  # Type::method
    assert ("flags/hiargs.rs", "HiArgs") in found  # crate::flags::HiArgs in a signature
    assert ("searcher/mod.rs", "SearcherBuilder.build") not in found  # builder.build()


GLUED = "pub fn glued(&self) -> bool {\n    self.search(1) && Self::new().search(2)\n}\n"


def test_self_is_the_impl_type_and_its_methods_elsewhere_are_context(index):
    glue = "crates/searcher/src/searcher/glue.rs"
    found = context(index, glue, 0, owner="Searcher", code=GLUED)  # a method of `impl Searcher`
    assert {("searcher/mod.rs", "Searcher.search"), ("searcher/mod.rs", "Searcher.new")} <= found
    assert context(index, glue, 3) >= found  # the whole impl names its type itself
    assert context(index, glue, 0, code=GLUED) == set()  # of no known type: nothing guessed


def test_macros_through_a_path_and_only_of_the_same_crate_bare(index):
    found = context(index, "crates/core/haystack.rs", 13)  # check()
    assert ("src/macros.rs", "assert_printed") in found  # #[macro_export]: at the crate root
    # a bare not_exported!() in another crate is not searcher's (nor other's) macro, and
    # the writeln! of flags::lowargs is only in scope there (and in flags, if #[macro_use])
    assert not {s for s in found if s[1] in ("not_exported", "writeln")}
    found = context(index, "crates/other/src/lib.rs", 3)
    assert ("src/util.rs", "not_exported") in found  # the same crate's
    assert ("src/macros.rs", "not_exported") not in found


def test_macros_of_the_crate_root_reach_a_module_whose_parent_has_no_file(index):
    # a commit adds crates/core/flags/doc/new.rs and doc/mod.rs; at the parent neither exists
    code = 'fn f() {\n    message!("x");\n}\n'
    assert ("core/messages.rs", "message") in context(
        index, "crates/core/flags/doc/new.rs", 0, code=code
    )


def test_test_helpers_and_unimported_names_are_not_context(index):
    found = context(index, "crates/other/src/lib.rs", 3)  # calls b(): only tests::b exists
    assert not {s for s in found if s[1].endswith("b")}
    assert ("src/util.rs", "helper") in found


def test_use_super_inside_an_inline_module_is_the_files_own_module(index):
    rows = index.resolved["crates/searcher/src/sink.rs"]
    glob = next(r for r in rows if r["statement"] == "use super::*;")
    assert glob["module"] == "self" and glob["resolved"] == ["crates/searcher/src/sink.rs"]
    assert index.visibility["crates/searcher/src/sink.rs"].modules == []


def test_a_use_of_the_files_own_item_inside_a_function_names_nothing_elsewhere(index):
    # `use Local as L;` is a path of one segment: the file's own definition, no member
    code = "fn f() {\n    use Logger as L;\n    L::log();\n}\n"
    assert context(index, "crates/core/logger.rs", 0, code=code) == set()
