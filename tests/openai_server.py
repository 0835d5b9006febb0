"""A loopback server that speaks enough of the OpenAI API (chat and completions) for tests
and benchmarks, with faults injected by the prompt: `FAULT:429x2` answers 429 (with
Retry-After) twice and then succeeds, `FAULT:500x1` likewise with 500, `FAULT:slow` never
answers in time, `FAULT:malformed` returns broken JSON, `FAULT:latin1` a body that is not
UTF-8, `FAULT:truncate` ends with finish_reason "length", `FAULT:huge` ignores max_tokens
with a 5 MB reply of a million fence lines, `FAULT:401` refuses. `fault=` gives every
prompt a fault. Every other reply echoes the prompt, cut at max_tokens words (a word is a
token here), or is what `script` says. `bodies` records every request's JSON body, in
the order they came."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections import Counter

from aiohttp import web


class FakeOpenAI:
    def __init__(self, latency: float = 0.0, model: str = "fake-model", script=None,
                 fault: str = ""):  # fmt: skip
        """`script(prompt, attempt)` -> (text, finish_reason) scripts the answers."""
        self.latency = latency
        self.script = script
        self.fault = fault
        self.model = model
        self.requests = 0
        self.bodies: list[dict] = []
        self.by_prompt: Counter[str] = Counter()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self.url = ""

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/completions", self._completions)
        runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        self._loop.run_until_complete(site.start())
        port = site._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/v1"
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(runner.cleanup())

    async def _chat(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.bodies.append(body)
        prompt = "\n".join(m["content"] for m in body["messages"])
        return await self._answer(prompt, body, chat=True)

    async def _completions(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.bodies.append(body)
        return await self._answer(body["prompt"], body, chat=False)

    async def _answer(self, prompt: str, body: dict, chat: bool) -> web.Response:
        self.requests += 1
        self.by_prompt[prompt] += 1
        attempt = self.by_prompt[prompt]
        if self.latency:
            await asyncio.sleep(self.latency)
        pattern = r"FAULT:(\w+?)(?:x(\d+))?\b"
        fault = re.search(pattern, prompt) or re.search(pattern, f"FAULT:{self.fault}")
        kind, times = (fault.group(1), int(fault.group(2) or 10**9)) if fault else ("", 0)
        if kind in ("429", "500") and attempt <= times:
            headers = {"Retry-After": "0"} if kind == "429" else {}
            return web.Response(status=int(kind), text="busy", headers=headers)
        if kind == "401":
            return web.Response(status=401, text='{"error": "bad key"}')
        if kind == "slow":
            await asyncio.sleep(30)
        if kind == "malformed":
            return web.Response(text='{"choices": [', content_type="application/json")
        if kind == "latin1":
            reply = _reply("café", "stop", prompt, chat, self.model)
            latin1 = json.dumps(reply, ensure_ascii=False).encode("latin-1")
            return web.Response(body=latin1,
                                headers={"Content-Type": "application/json; charset=utf-8"})  # fmt: skip
        text = f"echo: {prompt}"
        finish = "length" if kind == "truncate" else "stop"
        if len(text.split()) > body["max_tokens"]:
            text, finish = " ".join(text.split()[: body["max_tokens"]]), "length"
        if self.script is not None:  # as scripted, over-long or not
            text, finish = self.script(prompt, body.get("seed", 0))
        if kind == "huge":
            text, finish = "```a\n" * 1_050_000, "stop"
        reply = _reply(text, finish, prompt, chat, self.model)
        return web.Response(text=json.dumps(reply), content_type="application/json")


def _reply(text: str, finish: str, prompt: str, chat: bool, model: str) -> dict:
    choice = {"message": {"role": "assistant", "content": text}} if chat else {"text": text}
    return {"model": model, "choices": [{**choice, "index": 0, "finish_reason": finish}],
            "usage": {"prompt_tokens": len(prompt.split()),
                      "completion_tokens": len(text.split())}}  # fmt: skip
