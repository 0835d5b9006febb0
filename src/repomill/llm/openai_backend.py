"""Any OpenAI-compatible server (vLLM, SGLang, llama.cpp server, Ollama, hosted APIs):
chat and completions endpoints, bounded concurrency, retries with exponential backoff and
jitter on 429/5xx, connection errors, timeouts and malformed replies (not JSON, not UTF-8;
honouring Retry-After), then a recorded failure. A body longer than max_tokens can take is
a `too_long` failure, read no further (`LLM` checks the tokens and characters of the rest).
Never a silent None, never an exception out. Several base URLs make a pool
(`server_pool.py`): each attempt goes to the least busy server, a retry to another one."""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

import aiohttp

from repomill.llm.server_pool import ServerPool
from repomill.llm.types import MAX_CHARS_PER_TOKEN, Request, Result, too_long_failure

RETRY_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
# JSON spells a character in at most 12 bytes (an escaped surrogate pair); the rest of a
# reply (usage, ids, logprobs left off) fits in the slack.
BYTES_PER_CHAR, BODY_SLACK = 12, 1 << 16


class OpenAIBackend:
    name = "openai"

    def __init__(self, base_url: str | list[str], model: str, api_key: str | None = None,
                 concurrency: int = 64, timeout: float = 120.0, max_retries: int = 5,
                 backoff: float = 0.5, max_backoff: float = 30.0):  # fmt: skip
        """`base_url`: one server, or several used together; `concurrency` per server."""
        self.pool = ServerPool([base_url] if isinstance(base_url, str) else base_url)
        self.where = ", ".join(server.url for server in self.pool.servers)
        self.model = model
        self.api_key = api_key
        self.concurrency = concurrency * len(self.pool.servers)
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._slots: asyncio.Semaphore | None = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None:
            headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
            connector = aiohttp.TCPConnector(limit=self.concurrency)
            self._session = aiohttp.ClientSession(headers=headers, connector=connector)
            self._slots = asyncio.Semaphore(self.concurrency)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session, self._slots = None, None

    def _payload(self, request: Request, sample: int) -> tuple[str, dict[str, Any]]:
        """The path under the base URL, and the body."""
        body: dict[str, Any] = {
            "model": self.model,
            "temperature": request.temperature,
            "top_p": request.top_p,
            "max_tokens": request.max_tokens,
            "seed": request.seed + sample,
        }
        if request.stop:
            body["stop"] = list(request.stop)
        if request.prompt is not None:
            return "/completions", {**body, "prompt": request.prompt}
        messages = [{"role": role, "content": content} for role, content in request.messages]
        return "/chat/completions", {**body, "messages": messages}

    async def generate_one(self, request: Request, sample: int) -> Result:
        path, payload = self._payload(request, sample)
        limit = request.max_tokens * MAX_CHARS_PER_TOKEN * BYTES_PER_CHAR + BODY_SLACK
        self._open()
        for attempt in range(1, self.max_retries + 2):
            async with self._slots:
                server = self.pool.pick()  # with a slot held: the in-flight counts are current
                with self.pool.attempt(server):
                    outcome = await self._post(server.url + path, payload, limit, request, attempt)
            if isinstance(outcome, Result):
                self.pool.answered(server)
                return outcome
            error, wait = outcome
            self.pool.failed(server)
            if len(self.pool.servers) > 1:
                error = f"{server.url}: {error}"
            if attempt > self.max_retries:
                return _failure(f"{error} (gave up after {attempt} attempts)", attempt)
            if self.pool.any_ready(besides=server):
                continue  # another server takes the retry now
            if wait is None:
                wait = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
                wait *= 0.5 + random.random() / 2  # jitter: retries do not arrive in step
            await asyncio.sleep(wait)
        raise AssertionError("unreachable")

    async def _post(self, url: str, payload: dict[str, Any], limit: int, request: Request,
                    attempt: int) -> Result | tuple[str, float | None]:  # fmt: skip
        """One attempt: the final Result, or (why a retry may do better, the seconds the
        server asked to wait or None)."""
        try:
            async with self._open().post(url, json=payload, timeout=self._timeout) as response:
                status, body = response.status, await _read(response, limit)
                retry_after = response.headers.get("Retry-After")
        except TimeoutError:
            return f"timed out after {self.timeout:g} s", None
        except aiohttp.ClientError as exc:
            return f"connection failed: {exc}", None
        if body is None:
            return too_long_failure(request, f"over {limit} bytes", attempt)
        if status == 200:
            try:
                return _parse(body, request.prompt is not None, attempt)
            except UnicodeDecodeError:  # JSON is UTF-8: a broken or hostile server
                return f"malformed reply (not UTF-8): {body[:120]!r}", None
            except (ValueError, KeyError, IndexError, TypeError):
                return f"malformed reply: {_text(body)[:120]!r}", None
        if status in RETRY_STATUSES:
            return f"HTTP {status}: {_text(body)[:200]}", _seconds(retry_after)
        return _failure(_explain(status, _text(body), url), attempt)  # 4xx: retrying won't help


async def _read(response: aiohttp.ClientResponse, limit: int) -> bytes | None:
    """The body's bytes, or None as soon as there are more than `limit` of them."""
    body = bytearray()
    async for chunk in response.content.iter_chunked(BODY_SLACK):
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def _text(body: bytes) -> str:
    return body.decode("utf-8", "replace")


def _parse(body: bytes, completion: bool, attempt: int) -> Result:
    data = json.loads(body.decode("utf-8"))
    choice = data["choices"][0]
    text = choice["text"] if completion else choice["message"]["content"]
    if not isinstance(text, str):
        raise TypeError("no text")
    usage = data.get("usage") or {}
    return Result(text=text, finish_reason=choice.get("finish_reason") or "stop",
                  prompt_tokens=int(usage.get("prompt_tokens") or 0),
                  completion_tokens=int(usage.get("completion_tokens") or 0),
                  attempts=attempt)  # fmt: skip


def _failure(error: str, attempt: int) -> Result:
    return Result(finish_reason="error", error=error, attempts=attempt)


def _seconds(retry_after: str | None) -> float | None:
    try:
        return max(0.0, float(retry_after)) if retry_after else None
    except ValueError:
        return None  # an HTTP date: fall back to backoff


def _explain(status: int, body: str, url: str) -> str:
    hint = {401: "authentication failed (check the API key variable)",
            403: "access denied (check the API key's permissions)",
            404: f"not found at {url} (is the base URL right? it usually ends in /v1;"
                 " is the model served?)"}.get(status, "request refused")  # fmt: skip
    return f"HTTP {status}: {hint}: {body[:200]}"
