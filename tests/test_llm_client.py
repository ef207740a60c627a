"""The LLM client's retry policy against the scripted fault server: what is retried, how long it waits,
when it gives up, and that its errors are typed and never carry the API key."""

from __future__ import annotations

import logging

import pytest
from llm_server import BlackHole, Fault, FaultServer, free_port

from interviewer.llm import config as cfg
from interviewer.llm.client import ChatClient, backoff_seconds
from interviewer.llm.config import LLMConfig, display_url, endpoint_kind, is_configured, load_config
from interviewer.llm.errors import (
    ContextTooLong,
    EmptyReply,
    LLMAuthError,
    LLMRateLimited,
    LLMUnavailable,
    ResponseFormatUnsupported,
)
from interviewer.llm.secrets import scrub

FAKE_KEY = "sk-test-RECOGNISABLE-0123456789abcdef"
HELLO = [{"role": "user", "content": "hello"}]


class FakeClock:
    """Sleeps advance a clock instead of waiting, so backoff is checked without wall time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, s: float) -> None:
        self.sleeps.append(s)
        self.now += s

    def __call__(self) -> float:
        return self.now


def client_for(server: FaultServer | str, clock: FakeClock | None = None, **over) -> ChatClient:
    base = server if isinstance(server, str) else server.base_url
    conf = LLMConfig(base_url=base, model="m", has_key=True,
                     **{"read_timeout": 2.0, "connect_timeout": 1.0, **over})
    clock = clock or FakeClock()
    return ChatClient(conf, sleep=clock.sleep, clock=clock)


@pytest.fixture(autouse=True)
def fake_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("INTERVIEWER_MODEL", raising=False)


def test_plain_chat_and_stream(fault_server: FaultServer) -> None:
    c = client_for(fault_server)
    assert c.chat(HELLO) == "What did you check first?"
    assert "".join(c.stream(HELLO)) == "What did you check first?"
    req = fault_server.chat_requests()[0]
    assert req.body["model"] == "m" and req.body["messages"] == HELLO
    assert req.headers["authorization"] == f"Bearer {FAKE_KEY}"  # the client read the key itself


def test_429_honours_retry_after(fault_server: FaultServer) -> None:
    fault_server.push(Fault("429", retry_after="7"), Fault("429", retry_after="3"))
    clock = FakeClock()
    assert client_for(fault_server, clock).chat(HELLO) == "What did you check first?"
    assert len(fault_server.chat_requests()) == 3
    assert clock.sleeps[0] >= 7 and clock.sleeps[1] >= 3


def test_429_forever_gives_a_typed_error_within_the_budget(fault_server: FaultServer) -> None:
    fault_server.default = Fault("429", retry_after="1")
    clock = FakeClock()
    with pytest.raises(LLMRateLimited) as e:
        client_for(fault_server, clock, max_attempts=4).chat(HELLO)
    assert e.value.attempts == 4 and len(fault_server.chat_requests()) == 4
    assert len(clock.sleeps) == 3


def test_total_time_budget_stops_retries_early(fault_server: FaultServer) -> None:
    fault_server.default = Fault("429", retry_after="15")
    clock = FakeClock()
    with pytest.raises(LLMRateLimited):
        client_for(fault_server, clock, max_attempts=10, max_total_seconds=40).chat(HELLO)
    assert sum(clock.sleeps) < 40
    assert len(fault_server.chat_requests()) == 3  # 0, 15, 30: a fourth would start at 45 s


def test_5xx_is_retried_with_growing_backoff(fault_server: FaultServer) -> None:
    fault_server.push(Fault("500"), Fault("500"), Fault("500"))
    clock = FakeClock()
    assert client_for(fault_server, clock).chat(HELLO)
    assert len(clock.sleeps) == 3
    assert clock.sleeps[2] > clock.sleeps[0]  # exponential: 0.5, 1, 2 (+ jitter below 0.5)


def test_backoff_is_exponential_with_bounded_jitter() -> None:
    import random

    rng = random.Random(1)
    waits = [backoff_seconds(n, rng=rng) for n in range(1, 8)]
    for n, w in enumerate(waits, 1):
        base = min(cfg.BACKOFF_MAX, cfg.BACKOFF_INITIAL * 2 ** (n - 1))
        assert base <= w <= base + cfg.BACKOFF_JITTER
    assert backoff_seconds(1, retry_after=1000) == cfg.MAX_RETRY_AFTER


def test_read_timeout_is_retried_then_typed(fault_server: FaultServer) -> None:
    fault_server.push(Fault("ok", delay=1.5))
    assert client_for(fault_server, read_timeout=0.3).chat(HELLO) == "What did you check first?"
    assert len(fault_server.chat_requests()) == 2
    fault_server.default = Fault("ok", delay=1.5)
    with pytest.raises(LLMUnavailable, match="timed out") as e:
        client_for(fault_server, read_timeout=0.3, max_attempts=2).chat(HELLO)
    assert e.value.attempts == 2


def test_connection_refused_is_typed() -> None:
    clock = FakeClock()
    with pytest.raises(LLMUnavailable, match="cannot connect") as e:
        client_for(f"http://127.0.0.1:{free_port()}/v1", clock, max_attempts=3).chat(HELLO)
    assert e.value.attempts == 3 and len(clock.sleeps) == 2


def test_connect_timeout_is_retried_then_typed() -> None:
    """A host that never completes the handshake: each attempt gives up after the connect timeout."""
    clock = FakeClock()
    with BlackHole() as hole, pytest.raises(LLMUnavailable, match="timed out") as e:
        client_for(hole.base_url, clock, connect_timeout=0.2, max_attempts=2).chat(HELLO)
    assert e.value.attempts == 2 and len(clock.sleeps) == 1


def test_dropped_connection_is_retried(fault_server: FaultServer) -> None:
    fault_server.push(Fault("drop"))
    assert client_for(fault_server).chat(HELLO)


def test_empty_choices_are_retried_then_typed(fault_server: FaultServer) -> None:
    fault_server.push(Fault("empty"))
    assert client_for(fault_server).chat(HELLO)
    fault_server.default = Fault("empty")
    with pytest.raises(EmptyReply):
        client_for(fault_server, max_attempts=2).chat(HELLO)


def test_stream_retries_only_before_the_first_text(fault_server: FaultServer) -> None:
    fault_server.push(Fault("500"), Fault("429", retry_after="0"))
    assert "".join(client_for(fault_server).stream(HELLO)) == "What did you check first?"
    assert len(fault_server.chat_requests()) == 3


def test_context_and_format_errors_are_not_retried(fault_server: FaultServer) -> None:
    fault_server.push(Fault("context"))
    with pytest.raises(ContextTooLong):
        client_for(fault_server).chat(HELLO)
    fault_server.push(Fault("bad_format"))
    with pytest.raises(ResponseFormatUnsupported):
        client_for(fault_server).chat(HELLO, response_format={"type": "json_schema"})
    assert len(fault_server.chat_requests()) == 2


def test_an_echoed_key_is_scrubbed_and_not_chained(fault_server: FaultServer, caplog) -> None:
    fault_server.default = Fault("auth_echo")
    caplog.set_level(logging.DEBUG)
    with pytest.raises(LLMAuthError) as e:
        client_for(fault_server).chat(HELLO)
    assert len(fault_server.chat_requests()) == 1  # bad credentials are not retried
    text = str(e.value) + repr(e.value) + str(e.value.__cause__) + str(e.value.__context__)
    assert "Incorrect API key" in text and "***" in text
    assert FAKE_KEY not in text and FAKE_KEY not in caplog.text


def test_scrub_masks_keys_in_all_shapes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "plainsecretvalue42")
    text = scrub("key plainsecretvalue42, sk-abcdefgh12345, Bearer abc.def-123456, "
                 'api_key="zzzzzzzzzz", https://user:pa55word@host/v1')
    for secret in ("plainsecretvalue42", "sk-abcdefgh12345", "abc.def-123456", "zzzzzzzzzz", "pa55word"):
        assert secret not in text
    assert "https://***@host/v1" in text


def test_configuration_from_the_environment(monkeypatch: pytest.MonkeyPatch, fault_server) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    assert not is_configured(None)
    assert load_config(None) is None
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    conf = load_config(None)
    assert conf is not None and conf.kind == "openai" and conf.model == cfg.DEFAULT_OPENAI_MODEL
    assert FAKE_KEY not in conf.describe() and FAKE_KEY not in repr(conf)

    class Args:
        offline = True
        model = None

    assert load_config(Args()) is None  # --offline wins
    monkeypatch.setenv("OPENAI_BASE_URL", "http://localhost:11434/v1")
    assert load_config(None).model == cfg.DEFAULT_OLLAMA_MODEL
    monkeypatch.setenv("INTERVIEWER_MODEL", "qwen2.5:3b")
    assert load_config(None).model == "qwen2.5:3b"
    Args.offline, Args.model = False, "flag-model"
    assert load_config(Args()).model == "flag-model"
    monkeypatch.delenv("INTERVIEWER_MODEL")
    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.setenv("OPENAI_BASE_URL", fault_server.base_url)
    conf = load_config(None)  # another server, no key: its first listed model, and a dummy key
    assert conf.model == "fault-model" and not conf.has_key
    assert client_for(fault_server).chat(HELLO)
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{free_port()}/v1")
    with pytest.raises(LLMUnavailable, match="did not answer"):
        load_config(None)


def test_ollama_default_is_a_model_that_was_pulled() -> None:
    assert cfg.pick_ollama_model(["qwen2.5:3b", "llama3.2:latest"]) == "llama3.2:latest"
    assert cfg.pick_ollama_model(["qwen2.5:3b", "mistral:7b"]) == "qwen2.5:3b"
    assert cfg.pick_ollama_model([]) == cfg.DEFAULT_OLLAMA_MODEL


def test_display_url_drops_credentials() -> None:
    assert display_url("https://me:secret@llm.example:8443/v1") == "https://llm.example:8443/v1"
    assert endpoint_kind("http://127.0.0.1:11434/v1") == "ollama"
    assert endpoint_kind("http://127.0.0.1:8000/v1") == "other"


def test_doctor_lines(monkeypatch: pytest.MonkeyPatch, fault_server: FaultServer) -> None:
    from interviewer.llm import doctor_lines

    class Args:
        offline = False
        model = None

    monkeypatch.delenv("OPENAI_API_KEY")
    assert "not configured" in doctor_lines(Args())[0]
    monkeypatch.setenv("OPENAI_BASE_URL", fault_server.base_url)
    fault_server.default = Fault("ok", "OK")
    lines = doctor_lines(Args())
    assert lines[0].startswith(f"LLM: {fault_server.base_url} (other), model fault-model, key not set")
    assert lines[1].startswith("LLM: ok, answered in") and "'OK'" in lines[1]
    fault_server.default = Fault("500")
    assert "FAIL the endpoint does not answer: server error (HTTP 500" in doctor_lines(Args())[1]
    Args.offline = True
    assert doctor_lines(Args()) == ["LLM: off (--offline)"]


def test_persona_budget_is_tight_unless_the_user_sets_a_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    from interviewer.llm import PERSONA_READ_TIMEOUT, make_grader, make_phraser
    from interviewer.llm.errors import LLMError

    conf = load_config(None)
    assert make_phraser(conf).llm.config.read_timeout == PERSONA_READ_TIMEOUT
    assert make_grader(conf).judge.llm.config.read_timeout == cfg.READ_TIMEOUT
    monkeypatch.setenv("INTERVIEWER_LLM_TIMEOUT", "300")
    conf = load_config(None)
    assert make_phraser(conf).llm.config.read_timeout == 300
    assert conf.max_total_seconds >= 300
    monkeypatch.setenv("INTERVIEWER_LLM_TIMEOUT", "soon")
    with pytest.raises(LLMError, match="INTERVIEWER_LLM_TIMEOUT='soon'"):
        load_config(None)
