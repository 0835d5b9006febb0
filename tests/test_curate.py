"""Curation: duplicates (within and across splits), decontamination, planted secrets,
quality predicates."""

from __future__ import annotations

import json

import pytest

from repomill.curate.decontam import Benchmark, from_jsonl, humaneval
from repomill.curate.dedup import DedupRow, duplicates_to_drop
from repomill.curate.minhash import lsh_params, signature
from repomill.curate.quality import QualityConfig, quality_reason
from repomill.curate.secrets import SHARED_IDENTIFIERS, find_secrets, redact
from repomill.curate.settings import CurateConfig
from repomill.curate.steps import Decontaminate, RedactSecrets, benchmarks
from repomill.curate.text import code_tokens
from repomill.engine.steps import Dropped
from repomill.errors import UserError
from repomill.export.schema import SPLITS

FUNCTION = """def moving_average(values, window):
    if window <= 0:
        raise ValueError("window must be positive")
    totals, running = [], 0.0
    for index, value in enumerate(values):
        running += value
        if index >= window:
            running -= values[index - window]
        if index + 1 >= window:
            totals.append(running / window)
    return totals
"""
OTHER = """class LruCache:
    def __init__(self, capacity):
        self.capacity = capacity
        self.items = {}

    def get(self, key):
        value = self.items.pop(key)
        self.items[key] = value
        return value
"""


def row(split: str, order: int, text: str) -> DedupRow:
    tokens = code_tokens(text)
    return DedupRow(SPLITS.index(split), (order,), " ".join(tokens), signature(tokens))


def test_lsh_bands_follow_the_threshold():
    bands, rows = lsh_params(0.7)
    assert bands * rows <= 128
    collide = lambda s: 1 - (1 - s**rows) ** bands  # noqa: E731
    assert collide(0.9) > 0.99 and collide(0.3) < 0.01
    assert lsh_params(0.9)[1] > rows  # a stricter threshold needs longer bands


def test_duplicates_within_and_across_splits():
    near = FUNCTION.replace("totals", "averages")  # a renamed copy
    rows = [
        row("train", 1, FUNCTION),
        row("train", 2, FUNCTION.replace("    ", "\t")),  # same tokens: exact duplicate
        row("train", 3, OTHER),
        row("test", 4, near),  # leaks train into test
        row("validation", 5, OTHER + "\n# cache\n"),  # near copy of a train row
        row("test", 6, "def unrelated():\n    return sum(range(10)) * 42\n"),
    ]
    dropped = duplicates_to_drop(rows, 0.7)
    assert dropped == {1: "exact_duplicate", 3: "duplicate_across_splits",
                       4: "duplicate_across_splits"}  # fmt: skip
    kept_splits = {SPLITS[r.split] for i, r in enumerate(rows) if i not in dropped}
    assert kept_splits == {"train", "test"}
    # Deterministic: the earliest split, then the oldest, is the one kept.
    assert duplicates_to_drop(list(reversed(rows)), 0.7).keys() == {5 - 1, 5 - 3, 5 - 4}


def test_humaneval_decontamination():
    bench = humaneval()
    assert len(bench.problems) == 164
    problem = bench.problems[0]
    assert bench.hits("Here is my change:\n" + problem) == [0]
    assert bench.hits(FUNCTION + OTHER) == []


def test_user_benchmark_and_short_prompts(tmp_path):
    path = tmp_path / "bench.jsonl"
    path.write_text(json.dumps({"prompt": "reverse a linked list in place"}) + "\n"
                    + json.dumps({"prompt": FUNCTION, "id": 7}) + "\n")  # fmt: skip
    bench = from_jsonl(path)
    assert bench.name == "bench"
    assert bench.hits("Please reverse a linked list in place, thanks") == [0]
    assert bench.hits(FUNCTION) == [1]
    (tmp_path / "bad.jsonl").write_text("{not json\n")
    with pytest.raises(UserError, match="bad.jsonl:1"):
        from_jsonl(tmp_path / "bad.jsonl")
    with pytest.raises(UserError, match="no such file"):
        from_jsonl(tmp_path / "missing.jsonl")


PLANTED = {
    "AKIAIOSFODNN7EXAMPLE": "AWS",
    "ghp_R8fZq2LmT5vXw9YbN3cK7dHs1JpU4eGa6oQi": "GITHUB",
    "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx": "SLACK",
    "sk_live_4eC39HqLyjWDarjtT1zdp7dc": "STRIPE",
    "s3cr3tP4ssw0rd": "BASIC_AUTH",
    "dev.lead@example.org": "EMAIL",
    "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1uMTIz": "BASE64",
}
PEM = ("-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi\n"
       "Z1BjP5CE/Wm/Rr500P\n-----END RSA PRIVATE KEY-----")  # fmt: skip

PLANTED_TEXTS = [
    'AWS_KEY = "AKIAIOSFODNN7EXAMPLE"\n',  # in a string
    "# token: ghp_R8fZq2LmT5vXw9YbN3cK7dHs1JpU4eGa6oQi (rotate me)\n",  # in a comment
    "slack:\n  bot_token: xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx\n",  # config
    "+stripe.api_key = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc'\n-stripe.api_key = None\n",  # diff
    'DATABASE_URL = "postgres://app:s3cr3tP4ssw0rd@db.internal:5432/app"\n',
    "Maintainer: dev.lead@example.org\n",
    'blob = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1uMTIz"\n',
    f'KEY = """{PEM}"""\n',
]


@pytest.mark.parametrize("text", PLANTED_TEXTS)
def test_planted_secrets_are_redacted(text):
    from collections import Counter

    counts: Counter[str] = Counter()
    cleaned = redact({"messages": [{"role": "user", "content": text}]}, counts)
    content = cleaned["messages"][0]["content"]
    for secret in list(PLANTED) + ["MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi"]:
        assert secret not in content
    assert "<SECRET_" in content or "<EMAIL>" in content
    assert sum(counts.values()) >= 1


def test_plain_code_has_no_findings():
    assert find_secrets(FUNCTION + OTHER) == []


def _sample(code: str, tokens: int = 200) -> dict:
    return {"id": "x", "recipe": "commits", "commit": "c", "meta": "{}", "num_tokens": tokens,
            "messages": [{"role": "user", "content": "change it"},
                         {"role": "assistant", "content": code}],
            "units": [{"new_code": code}]}  # fmt: skip


def test_quality_predicates():
    config = QualityConfig()
    assert quality_reason(_sample(FUNCTION), config) is None
    assert quality_reason(_sample(FUNCTION, tokens=5), config) == "too_few_tokens"
    assert quality_reason(_sample("x = [" + "1, " * 600 + "]"), config) == "line_too_long"
    assert (
        quality_reason(_sample("# @generated by protoc\n" + FUNCTION), config) == "generated_code"
    )
    assert quality_reason(_sample("{}\n" * 40 + "[]();\n" * 40), config) == "low_alphanumeric_share"


def test_generated_means_marked_in_the_leading_comments():
    config = QualityConfig()
    in_code = 'MARKERS = re.compile(r"@generated|do not edit")\n' + FUNCTION
    assert quality_reason(_sample(in_code), config) is None
    documented = FUNCTION.replace(
        ":\n", ':\n    """Not auto-generated: DO NOT EDIT it by hand."""\n', 1
    )
    assert documented != FUNCTION and quality_reason(_sample(documented), config) is None
    marked = (
        "// Code generated by protoc. DO NOT EDIT.\n\npackage api\n\nfunc F() int { return 1 }\n"
    )
    sample = {**_sample(marked), "units": [{"path": "api/api.pb.gw.go", "new_code": marked}]}
    assert quality_reason(sample, config) == "generated_code"
    # an answer without units: each fenced block's leading comments
    answer = f"Here it is, not generated by hand:\n```python\n{in_code}```\n"
    assert quality_reason({**_sample(answer), "units": None}, config) is None
    answer = f"Here it is:\n```python\n# @generated by a tool\n{FUNCTION}```\n"
    assert quality_reason({**_sample(answer), "units": None}, config) == "generated_code"
    assert quality_reason(_sample("# @generated\n" + FUNCTION), config.model_copy(
        update={"reject_generated": False})) is None  # fmt: skip


def test_curator_redacts_or_drops():
    secret_sample = _sample('TOKEN = "ghp_R8fZq2LmT5vXw9YbN3cK7dHs1JpU4eGa6oQi"\n' + FUNCTION)
    redacting = RedactSecrets(drop=False, identifiers=SHARED_IDENTIFIERS)
    kept = redacting.apply(secret_sample)
    assert "ghp_" not in json.dumps(kept) and json.loads(kept["meta"])["redacted"]
    assert redacting.summary()["redacted_samples"] == 1
    dropped = RedactSecrets(drop=True, identifiers=SHARED_IDENTIFIERS).apply(secret_sample)
    assert isinstance(dropped, Dropped) and dropped.reason == "contains_secret"


def test_curator_rejects_contamination():
    decontaminate = Decontaminate(benchmarks(CurateConfig()))
    dropped = decontaminate.apply(_sample(humaneval().problems[3]))
    assert dropped == Dropped("contaminated:humaneval", {"problems": [3]})
    assert decontaminate.apply(_sample(FUNCTION)) == _sample(FUNCTION)


def test_benchmark_without_ngrams_matches_substrings():
    bench = Benchmark("tiny", ["add two numbers"])
    assert bench.hits("please ADD two numbers") == []  # tokens keep case
    assert bench.hits("we add two numbers here") == [0]


def test_edits_are_compared_by_their_change():
    from repomill.curate.text import dedup_text

    def edit(old, new, path="a.py"):
        return {"units": [{"path": path, "symbol": "f", "old_code": old, "new_code": new}]}

    body = "".join(f"    step_{i}()\n" for i in range(40))
    one = edit("def f():\n" + body, "def f():\n" + body.replace("step_3()", "step_3(1)"))
    two = edit("def f():\n" + body, "def f():\n" + body.replace("step_30()", "step_30(2)"))
    assert dedup_text(one) != dedup_text(two)  # same function, different edits
    assert dedup_text(one).count("\n") == 2  # where, then the removed and the added line
    moved = edit("x = 1\n", "x = 2\n", "b.py")
    assert dedup_text(moved) != dedup_text(edit("x = 1\n", "x = 2\n"))


def test_ids_in_meta_are_not_secrets_but_messages_are_scanned():
    from collections import Counter

    record = {"id": "x", "meta": json.dumps({"seed": "6f1ed002ab5595859014ebf0951522d9",
                                             "message": 'key = "AKIAIOSFODNN7EXAMPLE"'})}  # fmt: skip
    meta = json.loads(redact(record, Counter(), SHARED_IDENTIFIERS | {"seed"})["meta"])
    assert meta["seed"] == "6f1ed002ab5595859014ebf0951522d9"
    assert "AKIA" not in meta["message"]
