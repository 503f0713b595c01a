"""Any OpenAI-compatible chat endpoint (OpenAI, vLLM, Ollama, llama.cpp servers) via the `openai` SDK.

Each instance has its own client built from `Settings` (base URL, key, timeout); the SDK's own
retries are off because the base class retries transient failures. Structured output asks for
`response_format` with a JSON schema first; when the server rejects that, the instance steps down
to JSON mode with the schema in both the request (`schema`, a llama.cpp/Anyscale extension) and
the prompt, then to plain JSON mode with the schema only in the prompt, and remembers the step.
A mode that fails with the same error as all the weaker ones is kept (the server is just failing).
"""

from __future__ import annotations

import concurrent.futures

from typing import Iterator

import openai

from chatrec.errors import ConfigError, LLMError, LLMUnavailable
from chatrec.llm.base import LLM, Message, TransientLLMError, ensure_real_models_allowed, with_schema_instruction
from chatrec.settings import Settings

OPENAI_URL = "https://api.openai.com/v1"
STRUCTURED_MODES = ("json_schema", "json_object+schema", "json_object")
"""Ways to ask for a JSON object, best first; an instance moves down when a server rejects one."""
REJECTION_STATUSES = {400, 422, 500}
"""Statuses with which servers reject a response_format they do not know (llama-cpp-python says 500)."""


class OpenAICompatLLM(LLM):
    """Chat completions from an OpenAI-compatible server; `model=None` takes the server's first model."""

    name = "openai"

    def __init__(self, settings: Settings, *, model: str | None = None) -> None:
        super().__init__()
        self.base_url = (settings.openai_base_url or OPENAI_URL).rstrip("/")
        api_key = settings.openai_api_key
        if not api_key:
            if self.base_url == OPENAI_URL:
                raise ConfigError("the openai backend needs an API key: set OPENAI_API_KEY "
                                  "(or OPENAI_BASE_URL for a local server that needs none)")
            api_key = "not-needed"
        self.timeout = settings.llm_timeout
        self.client = openai.OpenAI(base_url=self.base_url, api_key=api_key, timeout=self.timeout, max_retries=0)
        # the SDK's timeout bounds each read; a worker thread gives each call a total deadline too
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="chatrec-openai")
        self.model = model
        self.name = f"openai:{model}" if model else "openai"
        self.structured_mode = STRUCTURED_MODES[0]

    def _generate(self, messages, *, json_schema, max_tokens, temperature) -> str:
        ensure_real_models_allowed(self.name)
        mode = self.structured_mode if json_schema is not None else None
        try:
            return self._create(messages, json_schema, mode, max_tokens, temperature)
        except openai.APIStatusError as exc:
            if exc.status_code not in REJECTION_STATUSES:
                raise self._error(exc) from None
            return self._step_down(messages, json_schema, max_tokens, temperature, rejected=exc)

    def _step_down(self, messages, json_schema, max_tokens, temperature, *, rejected: Exception) -> str:
        """Try the weaker structured modes; remember the first one the server accepts."""
        for mode in STRUCTURED_MODES[STRUCTURED_MODES.index(self.structured_mode) + 1:]:
            try:
                text = self._create(messages, json_schema, mode, max_tokens, temperature)
            except openai.APIStatusError as exc:
                if exc.status_code not in REJECTION_STATUSES:
                    break
                continue
            self.structured_mode = mode
            return text
        raise self._error(rejected) from None

    def _create(self, messages, json_schema, mode, max_tokens, temperature) -> str:
        """One request; a rejection of a structured request is re-raised as the SDK error."""
        request = self._request(messages, json_schema, mode, max_tokens, temperature)
        future = self._pool.submit(self.client.chat.completions.create, **request)
        try:
            response = future.result(timeout=self.timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TransientLLMError(f"{self.name} at {self.base_url} did not answer within {self.timeout:g}s") from None
        except openai.APIStatusError as exc:
            if mode is not None and exc.status_code in REJECTION_STATUSES:
                raise
            raise self._error(exc) from None
        except openai.OpenAIError as exc:
            raise self._error(exc) from None
        if not response.choices:
            raise TransientLLMError(f"{self.name} returned no choices")
        return response.choices[0].message.content or ""

    def _stream(self, messages, *, max_tokens, temperature) -> Iterator[str]:
        ensure_real_models_allowed(self.name)
        request = self._request(messages, None, None, max_tokens, temperature)
        try:
            with self.client.chat.completions.create(stream=True, **request) as chunks:
                for chunk in chunks:
                    if chunk.choices and chunk.choices[0].delta.content:
                        yield chunk.choices[0].delta.content
        except openai.OpenAIError as exc:
            raise self._error(exc) from None

    def _request(self, messages: list[Message], json_schema: dict | None, mode: str | None, max_tokens: int,
                 temperature: float) -> dict:
        request = {"model": self._model_name(), "max_tokens": max_tokens, "temperature": temperature}
        if json_schema is not None:
            if mode == "json_schema":
                request["response_format"] = {"type": "json_schema", "json_schema": {
                    "name": json_schema.get("title", "reply"), "schema": json_schema, "strict": False}}
            else:
                request["response_format"] = ({"type": "json_object", "schema": json_schema}
                                              if mode == "json_object+schema" else {"type": "json_object"})
                messages = with_schema_instruction(messages, json_schema)
        request["messages"] = [m.model_dump() for m in messages]
        return request

    def _model_name(self) -> str:
        if self.model is None:
            try:
                models = list(self.client.models.list())
            except openai.OpenAIError as exc:
                raise self._error(exc) from None
            if not models:
                raise LLMUnavailable(f"{self.base_url} lists no models; use CHATREC_LLM=openai:MODEL")
            self.model = models[0].id
        return self.model

    def _error(self, exc: Exception) -> LLMError:
        return map_openai_error(exc, where=f"{self.name} at {self.base_url}", timeout=self.timeout)

    def close(self) -> None:
        """Close the HTTP client."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.client.close()


def map_openai_error(exc: Exception, *, where: str, timeout: float | None = None) -> LLMError:
    """A typed chatrec error for an `openai` SDK exception (transient ones are retried)."""
    if isinstance(exc, openai.APITimeoutError):
        return TransientLLMError(f"{where} did not answer within {timeout:g}s" if timeout else f"{where} timed out")
    if isinstance(exc, openai.APIConnectionError):
        return TransientLLMError(f"cannot connect to {where}")
    if isinstance(exc, (openai.RateLimitError, openai.InternalServerError)):
        return TransientLLMError(f"{where} is overloaded or failing ({_status(exc)}): {_message(exc)}")
    if isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
        return LLMUnavailable(f"{where} rejected the API key ({_status(exc)}); check OPENAI_API_KEY")
    if isinstance(exc, openai.NotFoundError):
        return LLMUnavailable(f"{where} does not know this model or path ({_status(exc)}): {_message(exc)}")
    if isinstance(exc, openai.APIStatusError) and exc.status_code >= 500:
        return TransientLLMError(f"{where} failed ({_status(exc)}): {_message(exc)}")
    if isinstance(exc, openai.APIStatusError):
        return LLMError(f"{where} rejected the request ({_status(exc)}): {_message(exc)}")
    return LLMUnavailable(f"{where} failed: {exc}")


def _status(exc: Exception) -> str:
    return f"HTTP {getattr(exc, 'status_code', '?')}"


def _message(exc: Exception) -> str:
    return str(getattr(exc, "message", exc))[:300]

