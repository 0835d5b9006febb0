"""The language-model layer: one small interface (`LLM.generate`), backends (any
OpenAI-compatible server; an embedded model run in-process), a SQLite completion cache
that makes runs resumable, and prompt templates with output parsers."""

from repomill.llm.types import Request, Result

__all__ = ["Request", "Result"]
