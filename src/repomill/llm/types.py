"""Requests and results: what a stage asks of a model and what it gets back."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Request:
    """Chat `messages` or a raw `prompt` (exactly one), and sampling settings. `n` samples
    are drawn as n separate generations, sample i with seed `seed + i`, so each one is
    cached and retried on its own."""

    messages: tuple[tuple[str, str], ...] = ()  # (role, content)
    prompt: str | None = None
    n: int = 1
    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 512
    stop: tuple[str, ...] = ()
    seed: int = 0

    @classmethod
    def chat(cls, messages: list[dict[str, str]], **settings: Any) -> Request:
        return cls(messages=tuple((m["role"], m["content"]) for m in messages), **settings)

    def key_fields(self, sample: int) -> dict[str, Any]:
        """Everything that determines sample `sample`'s output (for the cache key)."""
        fields = asdict(self)
        fields.pop("n")
        fields["sample"] = sample
        return fields


@dataclass
class Result:
    """One generation: its text and why it ended, or a recorded failure (`error`)."""

    text: str = ""
    finish_reason: str = ""  # "stop", "length", … ; "error" on failure
    prompt_tokens: int = 0
    completion_tokens: int = 0
    error: str | None = None  # why it failed, after the retries
    cached: bool = False
    attempts: int = 0

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def truncated(self) -> bool:
        return self.finish_reason == "length"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("cached")
        return data


class Backend(Protocol):
    """Generates one sample of one request. Backends are async and handle their own
    concurrency limits; `LLM` handles caching and fan-out."""

    name: str
    model: str

    async def generate_one(self, request: Request, sample: int) -> Result: ...

    async def close(self) -> None: ...
