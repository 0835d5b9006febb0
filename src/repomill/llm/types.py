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


# No tokenizer's tokens average this many characters: a reply longer than max_tokens × this
# cannot have come within max_tokens (a server that ignores the limit, or a hostile one).
MAX_CHARS_PER_TOKEN = 32
TOO_LONG = "too_long"  # the finish_reason of a reply past its request's max_tokens


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

    @property
    def too_long(self) -> bool:
        return self.finish_reason == TOO_LONG

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("cached")
        return data


def too_long_failure(request: Request, size: str, attempts: int) -> Result:
    """The recorded failure of a reply of `size` that `request.max_tokens` does not allow
    (its text is dropped: it is never a sample, and not worth keeping)."""
    return Result(finish_reason=TOO_LONG, attempts=attempts,
                  error=f"reply too long: {size} for max_tokens {request.max_tokens}")  # fmt: skip


def over_max_tokens(request: Request, result: Result) -> str | None:
    """The size of `result` when it has more tokens or characters than `request.max_tokens`
    allows, else None."""
    chars, tokens = len(result.text), result.completion_tokens
    if tokens > request.max_tokens or chars > request.max_tokens * MAX_CHARS_PER_TOKEN:
        return f"{tokens} tokens, {chars} characters"
    return None


def within_max_tokens(request: Request, result: Result) -> Result:
    """`result`, or a `too_long` failure when it is longer than `request.max_tokens` allows."""
    size = over_max_tokens(request, result)
    return result if size is None else too_long_failure(request, size, result.attempts)


class Backend(Protocol):
    """Generates one sample of one request. Backends are async and handle their own
    concurrency limits; `LLM` handles caching and fan-out."""

    name: str
    model: str
    where: str  # what a failure message names: the server's URL, or the model

    async def generate_one(self, request: Request, sample: int) -> Result: ...

    async def close(self) -> None: ...
