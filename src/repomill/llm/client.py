"""`LLM`: generate for a batch of requests. Each sample is answered from the completion
cache when it can be, else by the backend (concurrently, bounded by the backend); every
sample ends exactly once, as a result or a recorded failure, and none is longer than its
request's max_tokens allows (whatever the server sent, or an older cache holds). A call
named by its `phase` draws a progress bar (when `show_progress`): samples done of all,
tokens/s of the ones generated now, time left."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field

from repomill.engine.progress import progress_bar
from repomill.llm.cache import CompletionCache, cache_key
from repomill.llm.types import Backend, Request, Result, over_max_tokens, within_max_tokens


@dataclass
class Stats:
    samples: int = 0
    cache_hits: int = 0
    generated: int = 0
    failures: int = 0
    errors: Counter[str] = field(default_factory=Counter)  # failures by error text

    def count(self, result: Result) -> None:
        if not result.ok:
            self.failures += 1
            self.errors[result.error] += 1


class LLM:
    def __init__(self, backend: Backend, cache: CompletionCache | None = None):
        self.backend = backend
        self.cache = cache or CompletionCache(None)
        self.stats = Stats()
        self.show_progress = False

    def generate(self, requests: list[Request], phase: str | None = None) -> list[list[Result]]:
        """Results per request, one per sample, in order. Synchronous: stages call this."""
        return asyncio.run(self.agenerate(requests, phase))

    async def agenerate(
        self, requests: list[Request], phase: str | None = None
    ) -> list[list[Result]]:
        results: list[list[Result | None]] = [[None] * r.n for r in requests]
        pending = []
        for i, request in enumerate(requests):
            for sample in range(request.n):
                key = ""
                if self.cache.path is not None:
                    key = cache_key(self.backend.name, self.backend.model, request, sample)
                hit = self.cache.get(key) if key else None
                self.stats.samples += 1
                # An over-long entry (cached before replies were checked) is asked again.
                if hit is not None and over_max_tokens(request, hit) is None:
                    self.stats.cache_hits += 1
                    results[i][sample] = hit
                else:
                    pending.append((i, sample, key))

        total = sum(r.n for r in requests)
        show = self.show_progress and phase is not None and bool(pending)
        progress = progress_bar(phase or "", show, rate=True, keep=True)
        bar = progress.add_task("", total=total, completed=total - len(pending), rate="")
        started, tokens = time.perf_counter(), 0

        async def run(i: int, sample: int, key: str) -> None:
            nonlocal tokens
            request = requests[i]
            result = within_max_tokens(request, await self.backend.generate_one(request, sample))
            self.cache.put(key, result)
            self.stats.generated += 1
            self.stats.count(result)
            results[i][sample] = result
            tokens += result.completion_tokens
            rate = tokens / max(time.perf_counter() - started, 1e-9)
            progress.update(bar, advance=1, rate=f"{rate:,.1f} tokens/s")

        try:
            with progress:
                await asyncio.gather(*(run(*item) for item in pending))
        finally:
            await self.backend.close()
        return results  # type: ignore[return-value]  (every slot is filled)

    def failure_summary(self) -> str | None:
        """One line on the failed calls so far (the commonest cause), or None if none failed."""
        if not self.stats.failures:
            return None
        (cause, _), *others = self.stats.errors.most_common()
        kinds = "kind" if len(others) == 1 else "kinds"
        also = f" (and {len(others)} other {kinds} of error)" if others else ""
        return (f"{self.stats.failures} of {self.stats.samples} model calls failed"
                f" ({self.backend.name} {self.backend.where}): {cause}{also}")  # fmt: skip

    def close(self) -> None:
        self.cache.close()
