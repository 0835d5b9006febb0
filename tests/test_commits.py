"""The commit recipe end to end on repositories built here: filters with their reasons,
verbatim units, context at the parent revision, splits by time, and the export layout."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from repomill.code.settings import IndexConfig
from repomill.engine import executors
from repomill.recipes.commits.messages import clean_message, message_reject_reason
from repomill.recipes.commits.settings import CommitsConfig

from .builds import build_recipe
from .conftest import commit, git, make_repo

T0 = 1_700_000_000
DAY = 86_400

MODELS = '''class Account:
    """A bank account."""

    def __init__(self, owner: str, balance: int = 0):
        self.owner = owner
        self.balance = balance
'''

SERVICE = """from models import Account


def deposit(account: Account, amount: int) -> Account:
    account.balance += amount
    return account
"""

TS_UTIL = """export function clamp(x: number, lo: number, hi: number): number {
  return Math.min(Math.max(x, lo), hi);
}
"""


def build(repo: Path, out: Path, **settings) -> dict:
    config = CommitsConfig(**settings)
    manifest = build_recipe("commits", repo, out, config)
    return manifest.to_json()


def rows(out: Path, split: str) -> list[dict]:
    return pq.read_table(out / "dataset" / "data" / f"{split}-00000-of-00001.parquet").to_pylist()


def rejected(out: Path) -> dict[str, str]:
    return {r["commit"]: r["reason"] for r in pq.read_table(out / "rejected.parquet").to_pylist()}


@pytest.fixture
def history(tmp_path):
    """A repository whose history holds one commit of every kind the filters know."""
    repo = tmp_path / "bank"
    make_repo(repo, {"models.py": MODELS, "service.py": SERVICE})
    git(repo, "commit", "-q", "--amend", "--no-edit", "--date", f"{T0} +0000",
        env_extra={"GIT_COMMITTER_DATE": f"{T0} +0000"})  # fmt: skip
    shas = {}

    def step(name, files, message, author=None):
        when = T0 + DAY * (len(shas) + 1)
        commit(repo, files, message, when=when, author=author)
        shas[name] = git(repo, "rev-parse", "HEAD")

    step("withdraw", {"service.py": SERVICE + "\n\ndef withdraw(account: Account, amount: int)"
                      " -> Account:\n    account.balance -= amount\n    return account\n"},
         "Add withdraw to the account service")  # fmt: skip
    step("two_languages", {"models.py": MODELS.replace("balance: int = 0", "balance: int = 10"),
                           "web/util.ts": TS_UTIL.replace("Math.min", "Math.min ")},
         "Give new accounts a starting balance")  # fmt: skip
    step("whitespace", {"service.py": (repo / "service.py").read_text() + "\n\n"},
         "Tidy blank lines at the end of the service")  # fmt: skip
    step("bot", {"models.py": MODELS.replace("A bank account", "An account")},
         "Reword the account docstring", author="dependabot[bot]")  # fmt: skip
    step("wip", {"models.py": MODELS.replace("owner", "holder")}, "wip")
    step("revert", {"models.py": MODELS}, 'Revert "wip"\n\nThis reverts commit abc.')
    step("binary", {"logo.png": b"\x89PNG\x00\x00binary"}, "Add the project logo image")
    step("vendored", {"vendor/lib.py": "def vendored():\n    return 1\n"},
         "Vendor a small helper library")  # fmt: skip
    git(repo, "checkout", "-q", "-b", "feature")
    step("feature", {"service.py": (repo / "service.py").read_text().replace(
        "account.balance += amount", "account.balance += abs(amount)")},
        "Deposit only positive amounts (#12)\n\nSigned-off-by: A <a@example.com>")  # fmt: skip
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", "feature", "-m", "Merge branch feature",
        env_extra={"GIT_COMMITTER_DATE": f"{T0 + 20 * DAY} +0000",
                   "GIT_AUTHOR_DATE": f"{T0 + 20 * DAY} +0000"})  # fmt: skip
    shas["merge"] = git(repo, "rev-parse", "HEAD")
    step("rename", {"models.py": None, "accounts.py": MODELS + "\n    def close(self):\n"
                    "        self.balance = 0\n"}, "Move Account into accounts.py and add close")  # fmt: skip
    return repo, shas


def test_filters_reject_with_reasons(history, tmp_path):
    repo, shas = history
    out = tmp_path / "out"
    manifest = build(repo, out, validation=0, test=0)
    reasons = rejected(out)
    assert reasons[shas["merge"]] == "merge"
    assert reasons[shas["bot"]] == "bot_author"
    assert reasons[shas["wip"]] == "uninformative_message"
    assert reasons[shas["revert"]] == "revert"
    assert reasons[shas["whitespace"]] == "whitespace_only"
    assert reasons[shas["binary"]] == "only_generated_vendored_or_binary"
    assert reasons[shas["vendored"]] == "only_generated_vendored_or_binary"
    kept = {r["commit"] for r in rows(out, "train")}
    assert kept == {shas["withdraw"], shas["two_languages"], shas["feature"], shas["rename"]}
    root = git(repo, "rev-list", "--max-parents=0", "HEAD")
    assert reasons[root] == "message_too_short"  # "initial"
    assert manifest["counts"]["rejected"]["merge"] == 1
    assert manifest["stages"]["mine_commits"]["skipped"]["revert"] == 1


def test_units_are_verbatim_and_context_comes_from_the_parent(history, tmp_path):
    repo, shas = history
    out = tmp_path / "out"
    build(repo, out, validation=0, test=0)
    by_commit = {r["commit"]: r for r in rows(out, "train")}
    for row in by_commit.values():
        for unit in row["units"]:
            if unit["old_code"]:
                old = git(repo, "show", f"{row['parent_commit']}:{unit['old_path']}")
                assert unit["old_code"] in old + "\n"
            else:
                assert unit["old_path"] == ""
            if unit["new_code"]:
                assert (
                    unit["new_code"] in git(repo, "show", f"{row['commit']}:{unit['path']}") + "\n"
                )
    withdraw = by_commit[shas["withdraw"]]
    assert [u["symbol"] for u in withdraw["units"]] == ["withdraw"]
    context = {c["symbol"]: c for c in withdraw["context"]}
    assert (
        context["Account"]["path"] == "models.py" and "class Account" in context["Account"]["text"]
    )
    user = withdraw["messages"][1]["content"]
    assert user.startswith("Add withdraw to the account service")
    assert "from models import Account" in user  # the imports of the changed file
    # At the rename's parent, Account still lives in models.py (not accounts.py).
    rename = by_commit[shas["rename"]]
    assert {u["path"] for u in rename["units"]} == {"accounts.py"}
    # its old code is traceable: to models.py at the parent, in the units and the evidence
    assert {u["old_path"] for u in rename["units"]} == {"models.py"}
    assert {e["path"] for e in rename["evidence"]} == {"models.py"}
    assert "### accounts.py :: Account (from models.py, line 1)" in rename["messages"][1]["content"]
    edited = by_commit[shas["two_languages"]]["units"]  # files edited in place
    assert [u["old_path"] for u in edited] == ["models.py", ""]  # util.ts is added here
    feature = by_commit[shas["feature"]]
    assert feature["messages"][1]["content"].startswith("Deposit only positive amounts\n")
    assert "Signed-off-by" not in feature["messages"][1]["content"]


def test_two_languages_in_one_commit(history, tmp_path):
    repo, shas = history
    out = tmp_path / "out"
    build(repo, out, validation=0, test=0)
    row = next(r for r in rows(out, "train") if r["commit"] == shas["two_languages"])
    assert {u["path"] for u in row["units"]} == {"models.py", "web/util.ts"}
    assert json.loads(row["meta"])["languages"] == ["python", "typescript"]


@pytest.mark.parametrize("target", ["whole", "udiff", "search-replace"])
def test_targets(history, tmp_path, target):
    repo, shas = history
    out = tmp_path / target
    build(repo, out, validation=0, test=0, target=target)
    row = next(r for r in rows(out, "train") if r["commit"] == shas["feature"])
    answer = row["messages"][2]["content"]
    if target == "whole":
        assert answer.startswith("### service.py :: deposit\n```python\ndef deposit(")
    elif target == "udiff":
        assert "--- a/service.py\n+++ b/service.py\n@@ -4," in answer
        assert "-    account.balance += amount\n+    account.balance += abs(amount)" in answer
    else:
        assert "<<<<<<< SEARCH\n" in answer and "abs(amount)" in answer.split("=======")[1]


def test_per_unit_examples(history, tmp_path):
    repo, shas = history
    out = tmp_path / "per_unit"
    build(repo, out, validation=0, test=0, per_unit=True)
    per_unit = [r for r in rows(out, "train") if r["commit"] == shas["two_languages"]]
    assert len(per_unit) == 2 and all(len(r["units"]) == 1 for r in per_unit)
    assert len({r["id"] for r in per_unit}) == 2


def test_context_sees_what_the_commit_imports(tmp_path):
    """New code uses names the commit imports; a new file has no imports at the parent."""
    repo = tmp_path / "lib"
    util = "def clamp(x):\n    return x\n\n\ndef scale(x):\n    return 2 * x\n"
    make_repo(repo, {"util.py": util, "app.py": "def run(x):\n    return x\n"})
    commit(repo, {"app.py": "from util import clamp\n\n\ndef run(x):\n    return clamp(x)\n",
                  "report.py": "from util import scale\n\n\ndef report(x):\n    return scale(x)\n"},
           "Clamp the run and add a scaled report", when=T0 + DAY)  # fmt: skip
    build(repo, tmp_path / "out", validation=0, test=0)
    (row,) = rows(tmp_path / "out", "train")
    assert {(c["path"], c["symbol"]) for c in row["context"]} == {
        ("util.py", "clamp"), ("util.py", "scale")}  # fmt: skip


def test_context_from_another_changed_file_unless_the_prompt_shows_it(tmp_path):
    """A definition of a file the commit also changes is context for the other unit, but
    not where it holds the old code the prompt shows."""
    repo = tmp_path / "lib"
    util = "def clamp(x):\n    return x\n\n\ndef scale(x):\n    return 2 * x\n"
    app = "from util import clamp, scale\n\n\ndef run(x):\n    return x\n"
    make_repo(repo, {"util.py": util, "app.py": app})
    commit(repo, {"util.py": util.replace("2 * x", "3 * x"),
                  "app.py": app.replace("return x", "return clamp(scale(x))")},
           "Scale by three and clamp the run", when=T0 + DAY)  # fmt: skip
    build(repo, tmp_path / "out", validation=0, test=0)
    (row,) = rows(tmp_path / "out", "train")
    assert {(c["path"], c["symbol"]) for c in row["context"]} == {("util.py", "clamp")}


def test_token_budget_drops_context_first_then_rejects(tmp_path):
    repo = tmp_path / "lib"
    long_body = "".join(f"    total += {i}\n" for i in range(200))
    notes = "".join(
        f"    # step {i}: check the amount against the account rules\n" for i in range(12)
    )
    service = SERVICE.replace("    account.balance +=", notes + "    account.balance +=")
    make_repo(repo, {"models.py": MODELS, "service.py": service,
                     "big.py": f"def big():\n    total = 0\n{long_body}    return total\n"})  # fmt: skip
    commit(repo, {"service.py": service.replace("+= amount", "+= abs(amount)")},
           "Deposit only positive amounts", when=T0 + DAY)  # fmt: skip
    commit(repo, {"big.py": (repo / "big.py").read_text().replace("return total", "return -total")},
           "Negate the big total on return", when=T0 + 2 * DAY)  # fmt: skip
    roomy = build(repo, tmp_path / "roomy", validation=0, test=0)
    (full,) = [
        r for r in rows(tmp_path / "roomy", "train") if "positive" in r["messages"][1]["content"]
    ]
    assert full["context"] and roomy["counts"]["examples"] == 2
    budget = full["num_tokens"] - 1
    assert budget >= 256  # the smallest budget allowed
    build(repo, tmp_path / "tight", validation=0, test=0, max_tokens=budget)
    (tight,) = [
        r for r in rows(tmp_path / "tight", "train") if "positive" in r["messages"][1]["content"]
    ]
    assert tight["num_tokens"] <= budget and not tight["context"]
    assert tight["units"] == full["units"]  # code is never cut
    # what the budget cost is recorded: the items, lowest-ranked first
    left_out = json.loads(tight["meta"])["context_left_out"]
    assert left_out[: len(full["context"])] == [f"{c['path']}::{c['symbol']}"
                                                for c in reversed(full["context"])]  # fmt: skip
    assert "context_left_out" not in json.loads(full["meta"])
    reasons = rejected(tmp_path / "tight")
    assert list(reasons.values()).count("over_token_budget") == 1  # big.py's 200-line unit


def test_splits_by_time_and_load_dataset(tmp_path):
    datasets = pytest.importorskip("datasets")
    repo = tmp_path / "lib"
    make_repo(repo, {"lib.py": "def f0():\n    return 0\n"})
    for i in range(1, 21):
        commit(repo, {"lib.py": (repo / "lib.py").read_text() + f"\n\ndef f{i}():\n    return {i}\n"},
               f"Add function number {i} to the library", when=T0 + i * DAY)  # fmt: skip
    out = tmp_path / "out"
    manifest = build(repo, out, validation=0.2, test=0.2)
    assert manifest["counts"]["splits"] == {"train": 12, "validation": 4, "test": 4}
    times = {s: [json.loads(r["meta"])["time"] for r in rows(out, s)]
             for s in ("train", "validation", "test")}  # fmt: skip
    assert max(times["train"]) < min(times["validation"]) <= max(times["validation"])
    assert max(times["validation"]) < min(times["test"])
    loaded = datasets.load_dataset("parquet", data_dir=str(out / "dataset" / "data"))
    assert {k: v.num_rows for k, v in loaded.items()} == {"train": 12, "validation": 4, "test": 4}
    assert {"messages", "units", "context", "num_tokens", "parent_commit"} <= set(
        loaded["train"].features
    )
    card = (out / "dataset" / "README.md").read_text()
    assert card.startswith("---\nconfigs:") and "path: data/test-*.parquet" in card
    from_card = datasets.load_dataset(str(out))
    assert from_card["test"].num_rows == 4


def test_trainers_take_the_export_as_it_is(tmp_path):
    """prompt / completion (TRL's conversational prompt-completion format) split each
    conversation before its answer, with both parts' tokens; the card has num_bytes and
    the budget; LLaMA-Factory's dataset_info.json names every split file."""
    from repomill.tokens import count_chat, load_tokenizer

    repo = tmp_path / "lib"
    make_repo(repo, {"lib.py": "def f0():\n    return 0\n"})
    for i in range(1, 6):
        commit(repo, {"lib.py": (repo / "lib.py").read_text() + f"\n\ndef f{i}():\n    return {i}\n"},
               f"Add function number {i} to the library", when=T0 + i * DAY)  # fmt: skip
    out = tmp_path / "out"
    manifest = build(repo, out, validation=0, test=0)
    counter, longest = load_tokenizer(None), 0
    for row in rows(out, "train"):
        assert row["prompt"] + row["completion"] == row["messages"]
        assert [m["role"] for m in row["completion"]] == ["assistant"]
        assert row["prompt_tokens"] == count_chat(row["prompt"], counter)
        assert row["prompt_tokens"] + row["completion_tokens"] == row["num_tokens"]
        longest = max(longest, row["num_tokens"])
    assert manifest["counts"]["longest_row_tokens"] == longest
    card = (out / "dataset" / "README.md").read_text()
    assert "num_bytes: " in card and "num_bytes: 0" not in card
    assert f"max_length={longest}" in card and "completion_only_loss=True" in card
    info = json.loads((out / "dataset" / "dataset_info.json").read_text())
    assert info == {"commits_train": {
        "file_name": "data/train-00000-of-00001.parquet", "formatting": "sharegpt",
        "columns": {"messages": "messages"},
        "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user",
                 "assistant_tag": "assistant", "system_tag": "system"}}}  # fmt: skip


def test_jsonl_format_and_rerun_is_identical(tmp_path):
    repo = tmp_path / "lib"
    make_repo(repo, {"lib.py": "def f():\n    return 0\n"})
    commit(repo, {"lib.py": "def f():\n    return 1\n"}, "Return one from f instead of zero")
    out = tmp_path / "out"
    build(repo, out, format="jsonl", validation=0, test=0)
    first = (out / "dataset" / "data" / "train-00000-of-00001.jsonl").read_bytes()
    assert json.loads(first.splitlines()[0])["recipe"] == "commits"
    assert (out / "rejected.jsonl").exists()
    manifest = build(repo, out, format="jsonl", validation=0, test=0)
    assert (out / "dataset" / "data" / "train-00000-of-00001.jsonl").read_bytes() == first
    assert manifest["stages"]["mine_commits"]["shards_cached"] == 1


def test_a_rerun_with_another_budget_and_target_reads_context_from_the_cache(history, tmp_path,
                                                                          capsys):  # fmt: skip
    """Context depends on the commit, not on the budget or the target: a re-run with other
    ones computes none (the index never moves) and writes a fresh build's rows; a damaged
    cache is set aside and computed again."""
    repo, _ = history
    out, fresh = tmp_path / "out", tmp_path / "fresh"
    first = build(repo, out, validation=0, test=0)
    assert first["counts"]["contexts"]["cached"] == 0
    assert first["counts"]["contexts"]["computed"] >= 4
    other = {"validation": 0, "test": 0, "target": "udiff", "max_tokens": 1024}
    again = build(repo, out, **other)
    assert again["counts"]["contexts"]["computed"] == 0
    assert again["counts"]["contexts"]["cached"] >= 1
    assert again["counts"]["index_tree_diffs"] == again["counts"]["index_file_changes_applied"] == 0
    build(repo, fresh, **other)
    assert rows(out, "train") == rows(fresh, "train")
    (out / ".cache" / "context.sqlite").write_bytes(b"not a database")
    capsys.readouterr()
    third = build(repo, out, **other)
    assert "context cache" in capsys.readouterr().err
    assert third["counts"]["contexts"]["cached"] == 0
    assert rows(out, "train") == rows(fresh, "train")


def test_shallow_clone_and_limits(tmp_path):
    origin = tmp_path / "origin"
    make_repo(origin, {"a.py": "def a():\n    return 0\n"})
    for i in range(1, 5):
        commit(origin, {"a.py": f"def a():\n    return {i}\n"}, f"Return {i} from the a function",
               when=T0 + i * DAY)  # fmt: skip
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "2", f"file://{origin}", str(clone))
    out = tmp_path / "out"
    manifest = build(clone, out, validation=0, test=0)
    assert manifest["counts"]["rejected"] == {"shallow_boundary": 1}
    assert manifest["counts"]["examples"] == 1
    limited = build(origin, tmp_path / "limited", validation=0, test=0, max_commits=2)
    assert limited["counts"]["commits_listed"] == 2
    since = build(origin, tmp_path / "since", validation=0, test=0,
                  since="2023-11-17", until="2023-11-18T23:59:59")  # fmt: skip
    assert since["counts"]["commits_listed"] == 2


@pytest.mark.parametrize(
    ("subject", "reason"),
    [
        ("", "empty_message"),
        ("wip", "uninformative_message"),
        ("Update README.md", "uninformative_message"),
        ("3f2a9c1d", "uninformative_message"),
        ("Bump version to 1.2.3", "version_bump"),
        ("v2.0.1", "version_bump"),
        ("fix bug", "message_too_short"),
        ("Handle empty input in the tokenizer", None),
    ],
)
def test_message_heuristics(subject, reason):
    assert message_reject_reason(subject) == reason


@pytest.mark.parametrize(
    ("subject", "reason"),
    [
        # Chinese, Japanese: no spaces between words; a CJK letter is half a word
        ("解决优惠券使用门槛为小数的精度丢失问题", None),
        ("后台删除用户时先删除缓存中的用户信息", None),
        ("修复登录错误", None),
        ("修复", "message_too_short"),
        ("更新bug", "message_too_short"),
        ("ログイン画面の文字化けを修正", None),
        ("修正", "message_too_short"),
        # Korean: spaces between words, Hangul letters are wide
        ("정수 나눗셈의 반올림 오류 수정", None),
        ("수정", "message_too_short"),
        # Cyrillic, Greek: spaced words, as English
        ("Исправлена ошибка округления сумм", None),
        ("Правка", "message_too_short"),
        ("Διόρθωση σφάλματος στρογγυλοποίησης", None),
        ("Διόρθωση", "message_too_short"),
        # no letters at all: emoji or punctuation, in any script's punctuation
        ("🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉", "message_too_short"),
        ("🐛 🔥 ✨ 🚀 🎉 💄 ✅", "message_too_short"),
        ("!!!!!!!!!!!! ???", "message_too_short"),
        ("。。。。。、、、、、……", "message_too_short"),
        ("🐛 修复", "message_too_short"),
    ],
)
def test_message_heuristics_in_other_scripts(subject, reason):
    assert message_reject_reason(subject) == reason


def test_clean_message_drops_trailers_and_tags():
    cleaned = clean_message("Fix parser crash (#42) [skip ci]\n\nDetails here.\n\n"
                            "Co-authored-by: B <b@example.com>\n")  # fmt: skip
    assert cleaned == "Fix parser crash\n\nDetails here."


def test_initial_commit_and_rewritten_history(tmp_path):
    repo = tmp_path / "lib"
    make_repo(repo, {"lib.py": "def f():\n    return 0\n"}, "Create the library with function f")
    commit(repo, {"lib.py": "def f():\n    return 1\n"}, "Return one from f instead of zero",
           when=T0 + DAY)  # fmt: skip
    out = tmp_path / "out"
    build(repo, out, validation=0, test=0)
    by_message = {r["messages"][1]["content"].split("\n")[0]: r for r in rows(out, "train")}
    initial = by_message["Create the library with function f"]
    assert initial["parent_commit"] == ""
    assert [(u["symbol"], u["old_code"]) for u in initial["units"]] == [("f", "")]
    old_head = git(repo, "rev-parse", "HEAD")
    git(repo, "commit", "-q", "--amend", "-m", "Return one from f, not zero")  # rewrite
    build(repo, out, validation=0, test=0)
    commits = {r["commit"] for r in rows(out, "train")}
    assert old_head not in commits and git(repo, "rev-parse", "HEAD") in commits


def test_symlinks_and_submodules_are_not_code(tmp_path):
    repo = tmp_path / "lib"
    make_repo(repo, {"lib.py": "def f():\n    return 0\n"}, "Create the library with function f")
    (repo / "link.py").symlink_to("lib.py")
    sub = git(repo, "rev-parse", "HEAD")  # any commit id serves as a gitlink target
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{sub},vendored_sub")
    commit(repo, {}, "Link lib.py and add a submodule", when=T0 + DAY)
    commit(repo, {"lib.py": "def f():\n    return 2\n"}, "Return two from f instead of zero",
           when=T0 + 2 * DAY)  # fmt: skip
    out = tmp_path / "out"
    manifest = build(repo, out, validation=0, test=0)
    assert manifest["counts"]["rejected"] == {"no_code_changes": 1}
    assert manifest["counts"]["examples"] == 2


def test_a_build_starts_one_process_pool(tmp_path, monkeypatch):
    """Mining and the index built mid-walk share the run's pool (issue 11)."""
    repo = tmp_path / "r"
    make_repo(repo, {"lib.py": "def f():\n    return 0\n"})  # rejected: "initial" is too short
    commit(repo, {"lib.py": "def f():\n    return 1\n"}, "Return one from f instead of zero")
    pools, closed = [], []

    class CountedPool(executors.ProcessExecutor):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            pools.append(self)

        def close(self):
            closed.append(self)
            super().close()

    monkeypatch.setattr(executors, "ProcessExecutor", CountedPool)
    config = CommitsConfig(validation=0, test=0)
    manifest = build_recipe("commits", repo, tmp_path / "a", config, IndexConfig(workers=2))
    manifest = manifest.to_json()
    assert len(pools) == 1 and closed == pools  # closed once, by the recipe, not the index
    assert manifest["stages"]["index_files"]["shards"] > 0  # the walk did build an index
    build(repo, tmp_path / "b", validation=0, test=0)  # one worker: no pool
    assert rows(tmp_path / "a", "train") == rows(tmp_path / "b", "train") != []


NESTED = {
    "store.py": "class Store:\n    limit = 3\n\n    def put(self, key, value):\n"
                "        self.items[key] = value\n        return value\n",
    "Cart.java": "public class Cart {\n    private int total;\n\n    public void add(int price) {\n"
                 "        total += price;\n    }\n}\n",
    "cart.rs": "pub struct Cart {\n    total: u32,\n}\n\nimpl Cart {\n    pub fn add(&mut self, "
               "price: u32) {\n        self.total += price;\n    }\n}\n",
}  # fmt: skip
NESTED_EDITS = {
    "store.py": ("        self.items[key] = value\n", "        self.items[key] = value or 0\n"),
    "Cart.java": ("        total += price;\n", "        total += Math.max(price, 0);\n"),
    "cart.rs": ("        self.total += price;\n", "        self.total += price.min(99);\n"),
}


@pytest.mark.parametrize("target", ["whole", "udiff", "search-replace"])
def test_targets_of_nested_units_apply_to_the_file(tmp_path, target):
    """A method (Python class, Java class, Rust impl) is shown and answered as its file's
    lines, indentation included: each target applied to the parent's file gives the
    commit's file."""
    repo = make_repo(tmp_path / "shop", NESTED, "Create the store, the cart and its impl")
    after = {path: text.replace(*NESTED_EDITS[path]) for path, text in NESTED.items()}
    commit(repo, after, "Keep negative amounts out of the totals", when=T0 + DAY)
    out = tmp_path / "out"
    build(repo, out, validation=0, test=0, target=target)
    (row,) = [r for r in rows(out, "train") if r["messages"][1]["content"].startswith("Keep")]
    units = {u["path"]: u for u in row["units"]}
    assert {path: u["symbol"] for path, u in units.items()} == {
        "store.py": "Store.put", "Cart.java": "Cart.add", "cart.rs": "Cart.add"}  # fmt: skip
    user, answer = row["messages"][1]["content"], row["messages"][2]["content"]
    for path, unit in units.items():
        first = NESTED[path].splitlines(keepends=True)[unit["old_start_line"] - 1]
        assert first.startswith("    ") and unit["old_code"].startswith(first)
        assert unit["new_code"].startswith(first)  # the signature line did not change
        assert f"\n{first}" in user and f"\n{first}" in answer or target != "whole"
    if target == "udiff":
        git(repo, "checkout", "-q", "HEAD~1")
        (tmp_path / "answer.patch").write_text(answer + "\n")
        git(repo, "apply", str(tmp_path / "answer.patch"))
        applied = {path: (repo / path).read_text() for path in NESTED}
    elif target == "search-replace":
        applied = dict(NESTED)
        blocks = re.findall(r"(\S+)\n```\w*\n<<<<<<< SEARCH\n(.*?)=======\n(.*?)>>>>>>> REPLACE",
                            answer, re.S)  # fmt: skip
        assert len(blocks) == 3
        for path, search, replace in blocks:
            assert applied[path].count(search) == 1
            applied[path] = applied[path].replace(search, replace)
    else:
        applied = {path: NESTED[path].replace(u["old_code"], u["new_code"])
                   for path, u in units.items()}  # fmt: skip
    assert applied == after


def test_udiff_of_new_and_removed_definitions_applies_in_place(tmp_path):
    """A definition added between two others, and one removed from the middle, are hunks
    at their places in the file, not at its top."""
    funcs = {name: f"def {name}():\n    return {n}\n" for n, name in enumerate("abcde")}
    before = "\n\n".join(funcs[n] for n in "abcd")
    after = "\n\n".join([funcs["a"], funcs["e"], funcs["b"], funcs["d"]])
    repo = make_repo(tmp_path / "lib", {"lib.py": before})
    commit(repo, {"lib.py": after}, "Add e after a and drop c", when=T0 + DAY)
    out = tmp_path / "out"
    build(repo, out, validation=0, test=0, target="udiff")
    (row,) = [r for r in rows(out, "train") if r["messages"][1]["content"].startswith("Add e")]
    git(repo, "checkout", "-q", "HEAD~1")
    (tmp_path / "answer.patch").write_text(row["messages"][2]["content"] + "\n")
    git(repo, "apply", "--unidiff-zero", str(tmp_path / "answer.patch"))
    code = [line for line in (repo / "lib.py").read_text().splitlines() if line.strip()]
    assert code == [line for line in after.splitlines() if line.strip()]


TESTS_TS = """import {a} from './a.js';

export function f(x: number): number {
\treturn x + a;
}

test('one', () => {
\tcheck(f(1));
});

test('two', () => {
\tcheck(f(2));
});

console.log('loaded');
"""
TESTS_TS_AFTER = (
    TESTS_TS.replace("import {a} from './a.js';\n", "import {a} from './a.js';\nimport {b} "
                     "from './b.js';\n").replace("check(f(1));", "check(f(1) + b);")
    .replace("check(f(2));", "check(f(2), 2);").replace("\nconsole.log('loaded');\n", "")
)  # fmt: skip


@pytest.mark.parametrize("target", ["whole", "udiff"])
def test_module_units_are_top_level_lines_with_their_place(tmp_path, target):
    """Changed lines outside every definition (an import, calls of `test`, a statement)
    are `<module>` units headed by their place; lines added to an existing file are not
    described as new, and each target puts them back where they go."""
    from repomill.evaluate.commit_edits import score_edit

    repo = make_repo(tmp_path / "app", {"app.ts": TESTS_TS}, "Create the app and its tests")
    commit(repo, {"app.ts": TESTS_TS_AFTER, "b.ts": "export const b = 2;\n\nregister(b);\n"},
           "Add b to the first check and a second argument", when=T0 + DAY)  # fmt: skip
    out = tmp_path / "out"
    build(repo, out, validation=0, test=0, target=target)
    (row,) = [r for r in rows(out, "train") if r["messages"][1]["content"].startswith("Add b")]
    system, user, answer = (m["content"] for m in row["messages"])
    assert "A `<module>` unit is a run of top-level lines" in system
    headings = ["app.ts :: <module> after line 1", "app.ts :: <module> line 8",
                "app.ts :: <module> line 12", "app.ts :: <module> lines 14-15",
                "b.ts :: <module> new lines 1-3"]  # fmt: skip
    assert re.findall(r"^### (.*)$", user, re.M)[-5:] == headings
    assert (
        "### app.ts :: <module> after line 1\n(no lines here yet: the new top-level lines " in user
    )
    assert "### b.ts :: <module> new lines 1-3\n(new file: does not exist yet)" in user
    assert "(new: does not exist yet)" not in user  # the file exists
    assert [(u["old_path"], u["old_start_line"]) for u in row["units"]] == [
        ("app.ts", 2), ("app.ts", 8), ("app.ts", 12), ("app.ts", 14), ("", 0)]  # fmt: skip
    score = score_edit(row, answer)
    assert score.exact_match and score.units_answered == 5  # each heading read back apart
    if target == "whole":
        assert re.findall(r"^### (.*)$", answer, re.M) == headings
        lines = TESTS_TS.splitlines(keepends=True)
        for unit in sorted(row["units"][:4], key=lambda u: -u["old_start_line"]):
            start = unit["old_start_line"] - 1
            lines[start : start + unit["old_code"].count("\n")] = [unit["new_code"]]
        assert "".join(lines) == TESTS_TS_AFTER
    else:
        git(repo, "checkout", "-q", "HEAD~1")
        patch = answer.split("\n--- a/b.ts")[0]  # the new file's section aside
        (tmp_path / "answer.patch").write_text(patch.rstrip("\n") + "\n")
        git(repo, "apply", "--unidiff-zero", str(tmp_path / "answer.patch"))
        assert (repo / "app.ts").read_text() == TESTS_TS_AFTER


def test_per_unit_examples_of_one_file_s_module_units_are_apart(tmp_path):
    repo = make_repo(tmp_path / "app", {"app.ts": TESTS_TS}, "Create the app and its tests")
    commit(repo, {"app.ts": TESTS_TS_AFTER}, "Add b to the first check and a second argument",
           when=T0 + DAY)  # fmt: skip
    out = tmp_path / "out"
    build(repo, out, validation=0, test=0, per_unit=True)
    mine = [r for r in rows(out, "train") if r["messages"][1]["content"].startswith("Add b")]
    assert len(mine) == 4 and len({r["id"] for r in mine}) == 4  # four `<module>` units
