import pytest

from repomill.code.build import build_index
from repomill.code.context import select_context
from repomill.code.settings import IndexConfig
from repomill.sources import open_source
from repomill.tokens import load_tokenizer

from .projects import PROJECTS


@pytest.fixture(scope="module")
def indexes(tmp_path_factory):
    from .conftest import make_repo

    built = {}
    for language, (files, *_rest) in PROJECTS.items():
        repo = make_repo(tmp_path_factory.mktemp(language), files)
        built[language] = build_index(open_source(repo), IndexConfig(workers=1), None,
                                      show_progress=False).index  # fmt: skip
    return built


def context_at(index, path, line, budget=2000):
    chunk = index.chunk_at(path, line)
    return select_context(index, path, chunk["text"], budget, load_tokenizer())


def resolved(index, path):
    return {target for row in index.resolved[path] for target in row["resolved"]}


EXPECTED_IMPORTS = {
    "python": ("src/shop/service.py", {"src/shop/models.py", "src/shop/pricing.py"}),
    "typescript": ("src/app.ts", {"src/models/index.ts", "src/util.ts", "src/format.ts"}),
    "rust": (
        "crates/app/src/billing/mod.rs",
        {"crates/core/src/model.rs", "crates/app/src/billing_util.rs"},
    ),
    "java": (
        "src/main/java/com/shop/Cart.java",
        {"src/main/java/com/shop/model/Item.java", "src/main/java/com/shop/Tax.java"},
    ),
    "go": ("service/greet.go", {"model/user.go", "service/helper.go"}),
}


@pytest.mark.parametrize("language", sorted(PROJECTS))
def test_imports_resolve_to_repository_files(indexes, language):
    path, expected = EXPECTED_IMPORTS[language]
    assert resolved(indexes[language], path) == expected


def test_python_from_package_import_module_resolves_through_empty_init(indexes):
    rows = indexes["python"].resolved["src/shop/service.py"]
    package_import = next(r for r in rows if r["statement"] == "from . import pricing")
    assert package_import["resolved"] == ["src/shop/pricing.py"]


def test_rust_mod_declarations_resolve(indexes):
    index = indexes["rust"]
    assert resolved(index, "crates/app/src/main.rs") == {
        "crates/app/src/billing/mod.rs",
        "crates/app/src/billing_util.rs",
    }
    assert resolved(index, "crates/core/src/lib.rs") == {"crates/core/src/model.rs"}


@pytest.mark.parametrize("language", sorted(PROJECTS))
def test_context_has_the_needed_definitions_and_not_unrelated_ones(indexes, language):
    files, path, line, needed, unrelated = PROJECTS[language]
    context = context_at(indexes[language], path, line)
    symbols = {item.symbol for item in context.items}
    assert needed <= symbols
    assert unrelated not in symbols
    assert all(item.path != path for item in context.items)
    for item in context.items:  # each item is rendered whole from its own file
        assert item.text.strip()


def test_names_imported_from_the_file_itself_are_not_context(tmp_path):
    from .conftest import make_repo

    files = {
        "Cargo.toml": '[package]\nname = "solo"\n',
        "src/lib.rs": (
            "mod inner {\n    pub struct Local;\n}\nuse crate::inner::Local;\n\n"
            "pub fn make() -> Local {\n    Local\n}\n"
        ),
    }
    index = build_index(open_source(make_repo(tmp_path / "r", files)), IndexConfig(workers=1),
                        None, show_progress=False).index  # fmt: skip
    assert "Local" not in index.visibility["src/lib.rs"].named
    assert context_at(index, "src/lib.rs", 6).items == []


def test_small_types_in_full_functions_as_signature(indexes):
    context = context_at(indexes["rust"], "crates/app/src/billing/mod.rs", 6)
    by_symbol = {item.symbol: item for item in context.items}
    assert by_symbol["Money"].text.startswith("/// A money amount.\n#[derive(Debug, Clone)]")
    assert "pub cents: i64" in by_symbol["Money"].text
    assert by_symbol["round"].text == "pub fn round(x: i64) -> i64 { … }"


def test_budget_drops_whole_lowest_ranked_items(indexes):
    index, path = indexes["typescript"], "src/app.ts"
    full = context_at(index, path, 6, budget=10_000)
    assert len(full.items) >= 3 and full.dropped == 0
    budget = full.tokens - full.items[-1].tokens  # one item too few
    tight = context_at(index, path, 6, budget=budget)
    assert tight.tokens <= budget
    assert [i.symbol for i in tight.items] == [i.symbol for i in full.items[:-1]]
    assert tight.dropped == 1
    for item in tight.items:  # never cut: identical to the unbudgeted rendering
        assert item.text == next(f.text for f in full.items if f.symbol == item.symbol)


def test_explicit_imports_rank_before_unique_names(indexes):
    context = context_at(indexes["java"], "src/main/java/com/shop/Cart.java", 7)
    assert context.items[0].symbol == "Item"  # named import outranks same-package Tax
