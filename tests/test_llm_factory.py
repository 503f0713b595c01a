"""`make_llm` picks a backend from one setting or an instance; the LangChain adapter over fake chat models."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel, GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.runnables import RunnableLambda

from chatrec.dialogue.schema import InterestDelta
from chatrec.errors import ConfigError, LLMError, LLMOutputError, LLMUnavailable
from chatrec.llm import NoLLM
from chatrec.llm.factory import make_llm
from chatrec.llm.langchain_adapter import LangChainLLM
from chatrec.llm.local import LocalLLM
from chatrec.llm.openai_compat import OpenAICompatLLM
from chatrec.settings import Settings
from chatrec.testing import ScriptedLLM
from test_llm_contract import EXTRACT, gguf_path, llama_server  # noqa: F401  (module-scoped real fixtures)

GOOD = InterestDelta(liked_genres=["sci-fi"], disliked_genres=["horror"])
REPO = __file__.rsplit("/tests/", 1)[0]


# ---- make_llm ----------------------------------------------------------------------------------

def test_none_imports_no_provider_sdk():
    code = ("import sys; from chatrec.llm.factory import make_llm; llm = make_llm('none'); "
            "print(llm.is_null, [m for m in ('llama_cpp', 'openai', 'langchain_core') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.split() == ["True", "[]"]


def test_spec_comes_from_settings_and_environment(tmp_path):
    settings = Settings.from_env({"CHATREC_LLM": "openai:my-model", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1/",
                                  "OPENAI_API_KEY": "sk-test", "CHATREC_LLM_TIMEOUT": "7"})
    llm = make_llm(None, settings)
    assert isinstance(llm, OpenAICompatLLM)
    assert (llm.model, llm.base_url, llm.client.api_key, llm.client.timeout, llm.client.max_retries) == (
        "my-model", "http://127.0.0.1:9/v1", "sk-test", 7.0, 0)
    assert isinstance(make_llm(None, Settings(llm="none")), NoLLM)
    assert isinstance(make_llm(" NONE ", Settings()), NoLLM)


def test_local_is_the_default_and_loads_nothing_when_made(tmp_path):
    llm = make_llm(None, Settings(home=tmp_path, llm_threads=1))
    assert isinstance(llm, LocalLLM) and llm.model_path is None
    assert not (tmp_path / "models").exists()


def test_gguf_path(tmp_path):
    model = tmp_path / "tiny.gguf"
    model.write_bytes(b"GGUF" + b"\0" * 16)
    llm = make_llm(f"gguf:{model}", Settings(home=tmp_path))
    assert isinstance(llm, LocalLLM) and llm.model_path == model and llm.name == "gguf:tiny.gguf"
    with pytest.raises(ConfigError, match="does not exist"):
        make_llm(f"gguf:{tmp_path / 'missing.gguf'}", Settings())
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ConfigError, match="not a GGUF file"):
        make_llm(f"gguf:{tmp_path / 'notes.txt'}", Settings())


def test_openai_needs_a_key_only_for_openai_itself():
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        make_llm("openai:gpt-4o-mini", Settings())
    assert make_llm("openai", Settings(openai_base_url="http://127.0.0.1:9/v1")).model is None


def test_instances_pass_through_or_get_wrapped():
    scripted = ScriptedLLM()
    assert make_llm(scripted, Settings()) is scripted
    wrapped = make_llm(FakeListChatModel(responses=["hi"]), Settings())
    assert isinstance(wrapped, LangChainLLM) and wrapped.name == "langchain:FakeListChatModel"
    with pytest.raises(ConfigError, match="cannot use a dict"):
        make_llm({"model": "x"}, Settings())


@pytest.mark.parametrize("spec, message", [
    ("gpt4all", "unknown LLM setting"),
    ("gguf:", "unknown LLM setting"),
    ("local:extra", "unknown LLM setting"),
    ("langchain:no_such_module_xyz:Chat:m", "cannot import no_such_module_xyz"),
    ("langchain:langchain_core.language_models:NoSuchChat:m", "has no class NoSuchChat"),
    ("langchain:collections:OrderedDict", "cannot use a OrderedDict"),
    ("langchain:langchain_core", "should look like"),
])
def test_bad_specs(spec, message):
    with pytest.raises(ConfigError, match=message):
        make_llm(spec, Settings())


def test_langchain_spec_instantiates_the_class(monkeypatch):
    pytest.importorskip("langchain_openai")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    llm = make_llm("langchain:langchain_openai:ChatOpenAI:gpt-4o-mini", Settings())
    assert isinstance(llm, LangChainLLM) and llm.model.model_name == "gpt-4o-mini"
    assert llm.name == "langchain:langchain_openai:ChatOpenAI:gpt-4o-mini"


# ---- the LangChain adapter over fake chat models -------------------------------------------------

@pytest.fixture
def allow_fakes(monkeypatch):
    """LangChain's fakes go through the real adapter, which guards every call like a real model."""
    monkeypatch.setattr("chatrec.llm.base.ALLOW_REAL_MODELS", True)


def test_guard_covers_the_langchain_adapter():
    llm = LangChainLLM(FakeListChatModel(responses=["hi"]))
    with pytest.raises(AssertionError, match="real_llm"):
        llm.complete("hello")


def test_langchain_text_and_stream(allow_fakes):
    llm = LangChainLLM(FakeListChatModel(responses=["Hello there.", "Red, green and blue."]))
    assert llm.complete([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]) == "Hello there."
    pieces = list(llm.stream("colours?"))
    assert len(pieces) > 1 and "".join(pieces) == "Red, green and blue."


def test_langchain_schema_without_structured_output_uses_the_prompt(allow_fakes):
    model = GenericFakeChatModel(messages=iter([AIMessage(content="Here: " + GOOD.model_dump_json())]))
    llm = LangChainLLM(model)
    assert llm.complete("I like sci-fi, no horror", schema=InterestDelta) == GOOD
    assert llm.structured is False


def test_langchain_garbage_is_repaired_once_then_fails(allow_fakes):
    llm = LangChainLLM(FakeListChatModel(responses=["no json here", "{'still': broken"]))
    with pytest.raises(LLMOutputError):
        llm.complete("I like sci-fi", schema=InterestDelta)
    assert llm.stats.repairs == 1


class StructuredFake(FakeListChatModel):
    """A fake whose `with_structured_output` works, recording the schema and method it was given."""

    seen: list = []

    def with_structured_output(self, schema: Any, *, include_raw: bool = False, **kwargs: Any):
        self.seen.append((schema.get("title"), kwargs.get("method"), include_raw))
        return RunnableLambda(lambda _: {"raw": AIMessage(content=""), "parsed": GOOD.model_dump(),
                                         "parsing_error": None})


def test_langchain_structured_output_is_used_when_supported(allow_fakes):
    model = StructuredFake(responses=["unused"])
    llm = LangChainLLM(model)
    assert llm.complete("I like sci-fi", schema=InterestDelta) == GOOD
    assert model.seen == [("InterestDelta", "json_schema", True)]
    assert llm.structured is True


class FailingChat(FakeListChatModel):
    def _call(self, *args, **kwargs):
        raise ConnectionError("connection refused")

    def _stream(self, *args, **kwargs):
        raise ConnectionError("connection refused")


def test_langchain_provider_errors_become_typed(allow_fakes):
    llm = LangChainLLM(FailingChat(responses=["x"]))
    llm.backoff = 0.0
    with pytest.raises(LLMUnavailable, match="connection refused"):
        llm.complete("hi")
    assert llm.stats.retries == llm.max_retries
    with pytest.raises(LLMError):
        list(llm.stream("hi"))


# ---- a real ChatOpenAI against the llama.cpp server ----------------------------------------------

@pytest.mark.real_llm
def test_chat_openai_against_llama_server(llama_server):
    langchain_openai = pytest.importorskip("langchain_openai")
    model = langchain_openai.ChatOpenAI(base_url=llama_server, api_key="not-needed", model="local", max_retries=0,
                                        timeout=120, max_tokens=200, temperature=0)
    llm = make_llm(model, Settings())
    start = time.monotonic()
    assert llm.complete("Say hello in three words.").strip()
    assert isinstance(llm.complete(EXTRACT, schema=InterestDelta), InterestDelta)
    assert "".join(llm.stream("Name a colour.")).strip()
    assert time.monotonic() - start < 300
