"""Settings for the LLM layer, and the `LLM` they describe."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from repomill.errors import UserError
from repomill.llm.cache import CompletionCache
from repomill.llm.client import LLM


class LLMConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    backend: Literal["embedded", "openai"] = "embedded"
    base_url: str | list[str] | None = Field(
        None, description="OpenAI-compatible server, e.g. …/v1; or several, used together"
    )
    model: str | None = Field(None, description="model name (server) or HF id / local path")
    api_key_env: str = Field("OPENAI_API_KEY", description="environment variable of the key")
    concurrency: int = Field(64, ge=1, description="requests in flight per server")
    timeout: float = Field(120.0, gt=0, description="seconds per request")
    max_retries: int = Field(5, ge=0)
    batch_size: int = Field(8, ge=1, description="sequences per batch (embedded)")
    int8: bool = Field(False, description="int8 linear layers on the CPU (embedded): ~2× faster")
    adapter: str | None = Field(
        None, description="a LoRA adapter directory (peft) applied to the embedded model"
    )


def make_llm(config: LLMConfig, cache_path: Path | None = None) -> LLM:
    if config.backend == "openai":
        from repomill.llm.openai_backend import OpenAIBackend

        if config.adapter:
            raise UserError(
                "--adapter is for the embedded model: a server loads adapters itself "
                "(e.g. vLLM --lora-modules); pass the served adapter's name as --model"
            )
        if not config.base_url:
            raise UserError("--llm openai needs --base-url (e.g. http://localhost:8000/v1)")
        if not config.model:
            raise UserError("--llm openai needs --model (the name the server serves)")
        backend = OpenAIBackend(config.base_url, config.model, os.environ.get(config.api_key_env),
                                config.concurrency, config.timeout, config.max_retries)  # fmt: skip
        return LLM(backend, CompletionCache(cache_path))
    from repomill.llm.embedded import EmbeddedBackend

    backend = EmbeddedBackend(config.model, config.batch_size, config.adapter, config.int8)
    return LLM(backend, CompletionCache(cache_path))
