"""pytest plugin registered by chatrec (entry point `pytest11`): scripted conversations as tests.

Every `*.yaml` / `*.yml` file under a folder named `conversations` is one test item that replays the
conversation (chatrec.testing.replay) and fails with the turn, the expectation and the actual
top-k. Scripts whose LLM is real (`llm: local`, `openai:...`) get the `real_llm` marker;
`--replay-llm MODE` overrides every script's LLM mode. Bots are shared across files per catalog,
embedder and LLM mode. Nothing heavy is imported until a conversation runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

_BOTS = None
"""The BotCache shared by every conversation in this pytest process (created on first use)."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chatrec")
    group.addoption("--replay-llm", metavar="MODE", default=None,
                    help="run every conversation file with this LLM mode (none, scripted, local, a CHATREC_LLM spec)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "real_llm: runs the embedded GGUF model or a real OpenAI-compatible server (slow)")
    config.addinivalue_line("markers", "conversation: a scripted conversation replayed from a YAML file")


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if file_path.suffix in (".yaml", ".yml") and "conversations" in file_path.parent.parts:
        return ConversationFile.from_parent(parent, path=file_path)
    return None


def pytest_unconfigure(config: pytest.Config) -> None:
    global _BOTS
    if _BOTS is not None:
        _BOTS.close()
        _BOTS = None


class ConversationFailed(Exception):
    """Raised by a conversation item; carries the replay's readable report."""


class ConversationFile(pytest.File):
    def collect(self):
        header = _peek(self.path)
        item = ConversationItem.from_parent(self, name=self.path.stem)
        item.title = str(header.get("name") or self.path.stem)
        llm = self.config.getoption("--replay-llm") or str(header.get("llm", "none"))
        item.add_marker("conversation")
        if llm not in ("none", "scripted"):
            item.add_marker("real_llm")
        if header.get("xfail"):
            item.add_marker(pytest.mark.xfail(reason=str(header["xfail"]), strict=True, raises=ConversationFailed))
        yield item


def _peek(path: Path) -> dict:
    """The top-level keys of a script without validating it (a malformed file fails when it runs)."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


class ConversationItem(pytest.Item):
    def runtest(self) -> None:
        global _BOTS
        from chatrec.errors import LLMUnavailable
        from chatrec.testing.replay import BotCache, load_script, replay

        script = load_script(self.path)
        mode = self.config.getoption("--replay-llm") or script.llm
        if _BOTS is None:
            import os

            cache = getattr(self.config, "cache", None)  # None under -p no:cacheprovider
            home = os.environ.get("CHATREC_HOME") or (cache.mkdir("chatrec-home") if cache else None)
            _BOTS = BotCache(llm_home=home)
        try:
            result = replay(script, llm=mode, bots=_BOTS)
        except LLMUnavailable as exc:
            pytest.skip(f"the LLM {mode!r} is not available: {exc}")
        if not result.passed:
            raise ConversationFailed(result.report())

    def repr_failure(self, excinfo, style=None):
        from chatrec.errors import ScriptError

        if isinstance(excinfo.value, (ConversationFailed, ScriptError)):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, 0, f"conversation: {getattr(self, 'title', self.name)}"
