"""`repomill llm check`: one request to the configured model, timed."""

from __future__ import annotations

from typing import Annotated

import typer

from repomill.cli.common import ConfigOpt, user_errors, validated
from repomill.config import load_config
from repomill.errors import UserError

llm_app = typer.Typer(help="The language-model layer.", no_args_is_help=True)


@llm_app.command("check")
@user_errors
def llm_check(
    llm: Annotated[str | None, typer.Option(help="embedded | openai")] = None,
    base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible server …/v1")] = None,
    model: Annotated[str | None, typer.Option(help="model name or HF id / path")] = None,
    api_key_env: Annotated[str | None, typer.Option(help="variable holding the key")] = None,
    timeout: Annotated[float | None, typer.Option(help="seconds per model request")] = None,
    config: ConfigOpt = None,
) -> None:
    """Send one request and print the model, latency and tokens/s (or one error line)."""
    import time

    from repomill.llm.factory import make_llm
    from repomill.llm.prompts import render
    from repomill.llm.types import Request

    backend = llm or ("openai" if base_url else None)
    settings = validated(load_config(config).llm, dict(backend=backend, base_url=base_url,
                          model=model, api_key_env=api_key_env, timeout=timeout))  # fmt: skip
    client = make_llm(settings.model_copy(update={"max_retries": min(settings.max_retries, 1)}))
    prompt = render("check", line='fn main() { println!("hi"); }')
    timings = []
    for seed in (0, 1):  # the first also loads the model or opens the connection
        started = time.perf_counter()
        ((result,),) = client.generate([Request.chat([{"role": "user", "content": prompt}],
                                                     max_tokens=16, seed=seed)])  # fmt: skip
        timings.append(time.perf_counter() - started)
        if not result.ok:
            raise UserError(f"{client.backend.name} {client.backend.model}: {result.error}")
    seconds = timings[-1]
    speed = result.completion_tokens / seconds if seconds else 0.0
    print(f"backend {client.backend.name} · model {client.backend.model}")
    print(f"first request {timings[0]:.2f} s (with loading) · then {seconds:.2f} s for "
          f"{result.completion_tokens} tokens · {speed:.1f} tokens/s")  # fmt: skip
    print(f"reply: {result.text.strip()[:200]!r}")
