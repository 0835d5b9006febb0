"""Several model servers used together: requests spread by load, a server that is down or
failing is left out while the others answer, and the cache does not care which server
answered."""

from __future__ import annotations

import json
import socket

import pytest

from repomill.llm.cache import CompletionCache
from repomill.llm.client import LLM
from repomill.llm.openai_backend import OpenAIBackend
from repomill.llm.server_pool import ServerPool
from repomill.llm.types import Request
from repomill.verify import sandbox

from .conftest import make_repo
from .openai_server import FakeOpenAI
from .test_cli import run_cli
from .test_self_align import PYTHON, script


def _closed_port_url() -> str:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{unused.getsockname()[1]}/v1"


def _pool(*urls: str, **settings) -> OpenAIBackend:
    settings = {"timeout": 2.0, "max_retries": 3, "backoff": 0.01, **settings}
    return OpenAIBackend(list(urls), "fake-model", **settings)


def _requests(n: int) -> list[Request]:
    return [Request.chat([{"role": "user", "content": f"task {i}"}]) for i in range(n)]


def test_requests_are_spread_over_the_servers_by_load():
    with FakeOpenAI(latency=0.05) as a, FakeOpenAI(latency=0.05) as b:
        results = LLM(_pool(a.url, b.url, concurrency=4)).generate(_requests(40))
    assert all(r.ok for (r,) in results)
    assert [r.text for (r,) in results] == [f"echo: task {i}" for i in range(40)]
    assert a.requests + b.requests == 40 and min(a.requests, b.requests) >= 15


def test_a_server_that_is_down_is_left_out_and_the_others_answer():
    down = _closed_port_url()
    with FakeOpenAI() as up:
        results = LLM(_pool(down, up.url, concurrency=2, max_retries=1)).generate(_requests(30))
    assert all(r.ok for (r,) in results), [r.error for (r,) in results if not r.ok]
    assert up.requests == 30


def test_a_failing_server_rests_while_the_others_take_its_requests():
    with FakeOpenAI(fault="500") as failing, FakeOpenAI() as good:
        results = LLM(_pool(failing.url, good.url, concurrency=2)).generate(_requests(30))
    assert all(r.ok for (r,) in results)
    assert good.requests == 30
    assert failing.requests <= 3  # after a failure it rests 5 s: the run is over by then


def test_when_every_server_fails_the_error_names_the_last_one_tried():
    down, other = _closed_port_url(), _closed_port_url()
    ((result,),) = LLM(_pool(down, other, max_retries=2)).generate(_requests(1))
    assert not result.ok and result.attempts == 3
    assert result.error.startswith(("http://127.0.0.1:", "connection failed"))
    assert "connection failed" in result.error and "gave up after 3 attempts" in result.error


def test_a_rerun_on_another_pool_answers_from_the_cache(tmp_path):
    cache = tmp_path / "llm.sqlite"
    with FakeOpenAI() as a, FakeOpenAI() as b:
        first = LLM(_pool(a.url, b.url), CompletionCache(cache)).generate(_requests(10))
    with FakeOpenAI() as c:
        again = LLM(OpenAIBackend(c.url, "fake-model"), CompletionCache(cache)).generate(
            _requests(10)
        )
    assert c.requests == 0
    assert [r.text for (r,) in again] == [r.text for (r,) in first]


def test_the_least_busy_ready_server_is_picked_and_a_failed_one_rests():
    pool = ServerPool(["http://a/v1", "http://b/v1/", "http://a/v1"])
    assert [s.url for s in pool.servers] == ["http://a/v1", "http://b/v1"]  # deduplicated
    a, b = pool.servers
    with pool.attempt(pool.pick()):
        assert pool.pick() is b  # a has one in flight
    pool.failed(a)
    assert pool.pick() is b and not pool.any_ready(besides=b)
    pool.failed(b)
    pool.failed(b)
    assert pool.pick() is a  # every server rests: the one whose rest ends first
    pool.answered(a)
    assert pool.pick() is a and a.failures == 0


@pytest.mark.skipif(sandbox.bwrap_path() is None, reason="bubblewrap is missing")
def test_a_build_takes_several_base_urls(tmp_path):
    repo = make_repo(tmp_path / "repo", {"lib/nums.py": PYTHON})
    out = tmp_path / "out"
    with FakeOpenAI(script=script) as a, FakeOpenAI(script=script) as b:
        done = run_cli("build", "self-align", str(repo), "--out", str(out), "--quiet",
                       "--base-url", a.url, "--base-url", b.url, "--model", "fake",
                       "--samples", "2", "--validation", "0", "--test", "0")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert a.requests > 0 and b.requests > 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config"]["llm"]["base_url"] == [a.url, b.url]
