"""The OpenAI-compatible client's throughput against a loopback server with a fixed
latency; prints one JSON line.

    python benchmarks/llm_client.py [--requests 2000] [--concurrency 64] [--latency 0.05]

The ideal time is N × latency / concurrency; the figure is ideal / achieved. The server
runs in a process of its own and is deliberately lean (raw asyncio, keep-alive, a fixed
reply after the latency), so the figure measures the client, not a slow test server on the
same 2 cores."""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import time

from repomill.llm.client import LLM
from repomill.llm.openai_backend import OpenAIBackend
from repomill.llm.types import Request

REPLY = json.dumps({
    "choices": [{"index": 0, "text": "ok", "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 2, "completion_tokens": 1},
}).encode()  # fmt: skip
RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
            + str(len(REPLY)).encode() + b"\r\n\r\n" + REPLY)  # fmt: skip


def serve(latency: float, urls, stop) -> None:
    served = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal served
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length"))  # fmt: skip
                await reader.readexactly(length)
                await asyncio.sleep(latency)
                served += 1
                writer.write(RESPONSE)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
        urls.put(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1")
        while not stop.is_set():
            await asyncio.sleep(0.05)
        urls.put(served)

    asyncio.run(main())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()
    requests = [Request(prompt=f"request {i}", max_tokens=16) for i in range(args.requests)]
    urls, stop = multiprocessing.Queue(), multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(args.latency, urls, stop))
    server.start()
    url = urls.get(timeout=30)
    llm = LLM(OpenAIBackend(url, "fake-model", concurrency=args.concurrency))
    started = time.perf_counter()
    results = llm.generate(requests)
    seconds = time.perf_counter() - started
    stop.set()
    served = urls.get(timeout=30)
    server.join(30)
    ideal = args.requests * args.latency / args.concurrency
    print(json.dumps({
        "benchmark": "llm_client",
        "requests": args.requests,
        "concurrency": args.concurrency,
        "latency_s": args.latency,
        "seconds": round(seconds, 3),
        "ideal_seconds": round(ideal, 3),
        "share_of_ideal": round(ideal / seconds, 3),
        "failures": sum(1 for r in results if not r[0].ok),
        "server_requests": served,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
