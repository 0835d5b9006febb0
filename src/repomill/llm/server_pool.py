"""Several OpenAI-compatible servers used together (`--base-url A --base-url B`): each
attempt goes to the server with the fewest requests in flight. A server whose attempt
failed in a way another server may not (no connection, a timeout, a 5xx or 429, a malformed
reply) rests for a while, longer each time in a row, and is tried again after that. When
every server rests, the one whose rest ends first takes the attempt, so a build never
waits on the pool alone.

Which server answered is not part of a completion's cache key: a re-run on another pool
answers from the cache."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

FIRST_REST, LONGEST_REST = 5.0, 120.0  # seconds a failing server is left out


@dataclass
class Server:
    url: str
    in_flight: int = 0
    failures: int = 0  # in a row
    rests_until: float = 0.0  # time.monotonic()


class ServerPool:
    def __init__(self, urls: list[str]):
        if not urls:
            raise ValueError("a pool needs at least one server")
        self.servers = [Server(url.rstrip("/")) for url in dict.fromkeys(urls)]

    def pick(self) -> Server:
        now = time.monotonic()
        ready = [server for server in self.servers if server.rests_until <= now]
        if not ready:
            return min(self.servers, key=lambda server: server.rests_until)
        return min(ready, key=lambda server: server.in_flight)  # the first of equals

    def any_ready(self, besides: Server) -> bool:
        now = time.monotonic()
        return any(s is not besides and s.rests_until <= now for s in self.servers)

    @contextmanager
    def attempt(self, server: Server) -> Iterator[None]:
        server.in_flight += 1
        try:
            yield
        finally:
            server.in_flight -= 1

    def failed(self, server: Server) -> None:
        server.failures += 1
        rest = min(LONGEST_REST, FIRST_REST * 2 ** (server.failures - 1))
        server.rests_until = time.monotonic() + rest

    def answered(self, server: Server) -> None:
        server.failures, server.rests_until = 0, 0.0
