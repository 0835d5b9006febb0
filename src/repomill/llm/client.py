"""`LLM`: generate for a batch of requests. Each sample is answered from the completion
cache when it can be, else by the backend (concurrently, bounded by the backend); every
sample ends exactly once, as a result or a recorded failure."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from repomill.llm.cache import CompletionCache, cache_key
from repomill.llm.types import Backend, Request, Result


@dataclass
class Stats:
    samples: int = 0
    cache_hits: int = 0
    generated: int = 0
    failures: int = 0


class LLM:
    def __init__(self, backend: Backend, cache: CompletionCache | None = None):
        self.backend = backend
        self.cache = cache or CompletionCache(None)
        self.stats = Stats()

    def generate(self, requests: list[Request]) -> list[list[Result]]:
        """Results per request, one per sample, in order. Synchronous: stages call this."""
        return asyncio.run(self.agenerate(requests))

    async def agenerate(self, requests: list[Request]) -> list[list[Result]]:
        results: list[list[Result | None]] = [[None] * r.n for r in requests]
        pending = []
        for i, request in enumerate(requests):
            for sample in range(request.n):
                key = ""
                if self.cache.path is not None:
                    key = cache_key(self.backend.name, self.backend.model, request, sample)
                hit = self.cache.get(key) if key else None
                self.stats.samples += 1
                if hit is not None:
                    self.stats.cache_hits += 1
                    results[i][sample] = hit
                else:
                    pending.append((i, sample, key))

        async def run(i: int, sample: int, key: str) -> None:
            result = await self.backend.generate_one(requests[i], sample)
            self.cache.put(key, result)
            self.stats.generated += 1
            self.stats.failures += 0 if result.ok else 1
            results[i][sample] = result

        try:
            await asyncio.gather(*(run(*item) for item in pending))
        finally:
            await self.backend.close()
        return results  # type: ignore[return-value]  (every slot is filled)

    def close(self) -> None:
        self.cache.close()
