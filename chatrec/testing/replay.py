"""Scripted conversations: a YAML format, one runner (`replay`), and a record mode.

A script names a catalog, an LLM mode and a list of turns. Each turn is a user message or a
button press on a ranked pick of the previous reply, optional scripted LLM replies for that turn,
and expectations checked on the reply::

    name: negation
    llm: none                 # none | scripted | local | any CHATREC_LLM spec
    turns:
      - user: I love space adventures but I hate horror
        expect:
          dislikes_contain: [horror]
          none_have_genre: horror
      - press: {rank: 1, button: disliked}
        expect:
          dislikes_contain: [Spaceballs]

`llm: scripted` replays each turn's `llm_replies` in order: the extraction object first, then one
sentence per pick when explanations are on. A turn without `llm_replies` (or whose replies run
out) gets no LLM answer, so chatrec falls back on its rules and templates, as it does when a real
model fails. `replay(..., record=True)` runs against a real LLM and writes what it answered into
the file (rewritten with yaml.safe_dump: comments are not kept) and sets `llm: scripted`.

Does not compare reply prose beyond `text_contains`; assert on interests and ranked titles.
"""

from __future__ import annotations

import difflib
import json
import re
import sys
import tempfile
import types
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from chatrec.errors import ChatRecError, LLMUnavailable, ScriptError
from chatrec.llm.base import LLM
from chatrec.testing.models import RecordedCall, ScriptedLLM

DEFAULT_CATALOG = "tests/fixtures/movies_300.jsonl"
"""The catalog a script uses when it names none (relative to the project root)."""
SCRIPTED_MODES = ("none", "scripted")
"""LLM modes that never touch a real model."""
USER_TURN_ONLY = ("asks_question", "text_contains", "explanations_grounded", "explanation_mentions")


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


# ---------------------------------------------------------------- the format

class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RankOf(_Strict):
    """`rank_of: {title: Inception, at_most: 3}`: the title is among the first `at_most` picks."""

    title: str
    at_most: int = Field(ge=1)


class Press(_Strict):
    """A button on a ranked pick of the previous reply (rank 1 is the first pick)."""

    rank: int = Field(ge=1)
    button: Literal["liked", "disliked", "seen"]


class Expect(_Strict):
    """What must hold after a turn. Labels and titles compare case-insensitively."""

    likes_contain: list[str] = Field(default_factory=list)
    """Each of these is among the likes ("sci-fi", "Tom Hanks", "Inception" or "Inception (2010)")."""
    likes_exclude: list[str] = Field(default_factory=list)
    dislikes_contain: list[str] = Field(default_factory=list)
    dislikes_exclude: list[str] = Field(default_factory=list)
    top_k_contains: list[str] = Field(default_factory=list)
    """Each title ("Alien" or "Alien (1979)") is among the picks."""
    top_k_excludes: list[str] = Field(default_factory=list)
    all_have_genre: str | None = None
    none_have_genre: str | None = None
    any_has_genre: str | None = None
    rank_of: list[RankOf] = Field(default_factory=list)
    all_in_years: tuple[int, int] | None = None
    """Every pick's year is within [first, last], e.g. `[1980, 1989]`."""
    genres_at_least: int | None = Field(default=None, ge=1)
    """The picks together span at least this many genres (a diverse list)."""
    explanations_grounded: bool | None = None
    """Every pick's explanation passes chatrec's explanation checker."""
    explanation_mentions: str | None = None
    """Every pick's explanation contains this word (case-insensitive)."""
    asks_question: bool | None = None
    text_contains: list[str] = Field(default_factory=list)

    _lists = field_validator("likes_contain", "likes_exclude", "dislikes_contain", "dislikes_exclude",
                             "top_k_contains", "top_k_excludes", "text_contains", mode="before")(_as_list)

    @field_validator("rank_of", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value


class Turn(_Strict):
    """One turn: `user: message` or `press: {rank, button}`, optional `llm_replies`, `expect`."""

    user: str | None = None
    press: Press | None = None
    llm_replies: list[Union[dict, str]] | None = None
    """Scripted LLM replies for this turn: the extraction object, then explanation sentences."""
    expect: Expect = Field(default_factory=Expect)

    @model_validator(mode="after")
    def _one_action(self) -> "Turn":
        if (self.user is None) == (self.press is None):
            raise ValueError("a turn needs exactly one of `user: <message>` or `press: {rank: N, button: liked}`")
        if self.press is not None:
            bad = [name for name in USER_TURN_ONLY if getattr(self.expect, name) not in (None, [])]
            if bad:
                raise ValueError(f"a button press has no reply text or explanations; {', '.join(bad)} "
                                 "apply only to `user:` turns")
            if self.llm_replies:
                raise ValueError("a button press does not call the LLM; remove its llm_replies")
        return self


class Script(_Strict):
    """A scripted conversation."""

    name: str | None = None
    description: str | None = None
    catalog: str = DEFAULT_CATALOG
    """A catalog path relative to the script file, or "bundled"."""
    llm: str = "none"
    recorded_with: str | None = None
    """The LLM spec the `llm_replies` were recorded with (set by record mode)."""
    embedder: Literal["real", "hash"] = "real"
    collab: Literal["bundled", "none"] = "bundled"
    """The shipped co-mention model (its ids match the bundled movies and catalogs cut from them)."""
    explain: bool = True
    top_k: int | None = Field(default=None, ge=1, le=50)
    xfail: str | None = None
    """A known bug this conversation shows: pytest marks it xfail (strict), the CLI reports it apart."""
    turns: list[Turn] = Field(min_length=1)

    path: Path | None = Field(default=None, exclude=True)
    """The file the script was read from (not part of the format)."""

    @property
    def title(self) -> str:
        return self.name or (self.path.stem if self.path else "conversation")

    def catalog_path(self) -> Path | None:
        """The catalog file, None for the bundled one."""
        if self.catalog == "bundled":
            return None
        path = Path(self.catalog)
        if path.is_absolute():
            return path
        if self.catalog == DEFAULT_CATALOG:
            return _project_root(self.path) / DEFAULT_CATALOG
        return (self.path.parent if self.path else Path.cwd()) / path


def _project_root(start: Path | None) -> Path:
    """The nearest folder above `start` with a pyproject.toml (the current folder otherwise)."""
    here = (start.resolve().parent if start else Path.cwd().resolve())
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").exists():
            return folder
    return Path.cwd()


_MODELS: dict[str, type[BaseModel]] = {"": Script, "turns": Turn, "expect": Expect, "press": Press, "rank_of": RankOf}


def load_script(source: str | Path | dict, *, name: str | None = None) -> Script:
    """Read and validate a script (a path or a dict); a malformed one raises ScriptError with the line."""
    if isinstance(source, dict):
        return _validate(source, lines={}, where=name or "<script>", path=None)
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScriptError(f"{path}: cannot read the script: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ScriptError(f"{path}: not UTF-8 text (byte {exc.start}); save the script as UTF-8") from None
    return parse_script(text, path=path)


def parse_script(text: str, *, path: Path | None = None) -> Script:
    """Validate YAML text as a script; errors name the file, the line and what is wrong."""
    where = str(path) if path else "<script>"
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        lines: dict[tuple, int] = {}
        if node is not None:
            _index_lines(node, (), lines, set())
        data = yaml.safe_load(text)
    except RecursionError:
        raise ScriptError(f"{where}: YAML nested too deeply") from None
    except _AliasFound as exc:
        raise ScriptError(f"{where}, line {exc.line}: YAML anchors and aliases (&name / *name) are not "
                          "supported in scripts; write the values out") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScriptError(f"{where}{line}: not valid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise ScriptError(f"{where}, line 1: a script is a mapping with `turns:` (and name, llm, ...), "
                          f"not {type(data).__name__ if data is not None else 'an empty file'}")
    return _validate(data, lines=lines, where=where, path=path)


class _AliasFound(Exception):
    def __init__(self, line: int):
        self.line = line


def _index_lines(node: yaml.Node, path: tuple, out: dict[tuple, int], seen: set[int]) -> None:
    """Map each key path to its line; a node met twice is an alias (rejected: alias bombs)."""
    if id(node) in seen:
        raise _AliasFound(node.start_mark.line + 1)
    seen.add(id(node))
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = path + (key.value,)
            out[child] = key.start_mark.line + 1
            _index_lines(value, child, out, seen)
    elif isinstance(node, yaml.SequenceNode):
        for i, value in enumerate(node.value):
            _index_lines(value, path + (i,), out, seen)


def _validate(data: dict, *, lines: dict[tuple, int], where: str, path: Path | None) -> Script:
    try:
        script = Script.model_validate(data)
    except ValidationError as exc:
        raise ScriptError("\n".join(_describe(e, lines, where) for e in exc.errors()[:5])) from None
    script.path = path
    return script


def _describe(error: dict, lines: dict[tuple, int], where: str) -> str:
    loc = tuple(error["loc"])
    line = next((lines[loc[:n]] for n in range(len(loc), -1, -1) if loc[:n] in lines), None)
    place = f"{where}, line {line}" if line else where
    turn = next((f"turn {loc[i + 1] + 1}: " for i, part in enumerate(loc[:-1])
                 if part == "turns" and isinstance(loc[i + 1], int)), "")
    kind, msg = error["type"], error["msg"]
    if kind == "extra_forbidden":
        key = str(loc[-1])
        owner = next((str(p) for p in reversed(loc[:-1]) if isinstance(p, str)), "")
        model = _MODELS.get(owner, Script)
        noun = {"expect": "expectation", "": "key"}.get(owner, f"key in {owner}" if owner else "key")
        valid = [n for n, f in model.model_fields.items() if not (f.exclude is True)]
        close = difflib.get_close_matches(key, valid, n=1, cutoff=0.5)
        hint = f"; did you mean {close[0]!r}?" if close else f"; valid: {', '.join(valid)}"
        return f"{place}: {turn}unknown {noun} {key!r}{hint}"
    inside = loc[2:] if len(loc) >= 2 and loc[0] == "turns" and isinstance(loc[1], int) else loc
    field_name = ".".join(str(p) for p in inside if not isinstance(p, int))
    msg = msg.removeprefix("Value error, ")
    if kind == "missing":
        return f"{place}: {turn}missing {field_name!r}"
    return f"{place}: {turn}{field_name + ': ' if field_name else ''}{msg}"


# ---------------------------------------------------------------- LLMs the runner builds

class ReplayLLM(ScriptedLLM):
    """The `scripted` mode: this turn's replies; when they run out the call fails like a dead model."""

    name = "scripted"

    def _next(self, messages, json_schema) -> str:
        if not self.replies:
            self.calls.append(RecordedCall(messages=list(messages), json_schema=json_schema))
            raise LLMUnavailable("no scripted LLM reply left for this turn")
        reply = self.replies[0]
        if isinstance(reply, str):  # recorded raw output: replayed as it was, valid or not
            self.replies.pop(0)
            self.calls.append(RecordedCall(messages=list(messages), json_schema=json_schema))
            return reply
        return super()._next(messages, json_schema)


class RecordingLLM(LLM):
    """Delegates to a real LLM and keeps every raw output, so that a replay can return the same."""

    def __init__(self, inner: LLM):
        super().__init__()
        self.inner = inner
        self.name = f"recording:{inner.name}"
        self.max_retries = inner.max_retries
        self.backoff = inner.backoff
        self.outputs: list[tuple[str, dict | None]] = []

    def _generate(self, messages, *, json_schema, max_tokens, temperature) -> str:
        text = self.inner._generate(messages, json_schema=json_schema, max_tokens=max_tokens, temperature=temperature)
        self.outputs.append((text, json_schema))
        return text

    def take(self) -> list[dict | str]:
        """The outputs since the last take, as they go into `llm_replies`."""
        replies = [_recordable(text, schema) for text, schema in self.outputs]
        self.outputs.clear()
        return replies

    def load(self):
        return self.inner.load() if hasattr(self.inner, "load") else None

    def close(self) -> None:
        self.inner.close()


def _recordable(text: str, json_schema: dict | None) -> dict | str:
    """A structured reply that fits its schema is stored as a mapping (readable); anything else verbatim."""
    if json_schema is None:
        return text
    try:
        data = json.loads(text)
    except ValueError:
        return text
    if isinstance(data, dict) and set(data) <= set(json_schema.get("properties", {})) \
            and set(json_schema.get("required", [])) <= set(data):
        return data
    return text


# ---------------------------------------------------------------- bots

BotFactory = Callable[..., Any]


class BotCache:
    """One bot per (catalog, embedder, collab, LLM mode), shared by the scripts that agree on them.

    Each replay uses a fresh session, so sharing a bot shares only the index and the models.
    `llm_home` is where a real model is assembled and cached (None: CHATREC_HOME or the default).
    """

    def __init__(self, *, llm_home: str | Path | None = None):
        self.llm_home = llm_home
        self._bots: dict[tuple, Any] = {}
        self._index_homes: dict[tuple, Path] = {}

    def get(self, script: Script, mode: str, *, record: bool = False) -> Any:
        catalog = script.catalog_path()
        index_key = (str(catalog.resolve()) if catalog else "bundled", script.embedder)
        key = (*index_key, script.collab, script.explain, _mode_kind(mode), record)
        bot = self._bots.get(key)
        if bot is None:
            if index_key not in self._index_homes:  # bots over the same catalog share one embedded index
                self._index_homes[index_key] = Path(tempfile.mkdtemp(prefix="chatrec-replay-"))
            bot = self._bots[key] = build_bot(script, mode, record=record, llm_home=self.llm_home,
                                              index_home=self._index_homes[index_key])
        return bot

    def close(self) -> None:
        for bot in self._bots.values():
            bot.close()
        self._bots.clear()


def _mode_kind(mode: str) -> str:
    return mode if mode in SCRIPTED_MODES else f"real:{mode}"


def build_bot(script: Script, mode: str | LLM, *, record: bool = False, llm_home: str | Path | None = None,
              index_home: Path | None = None):
    """A bot for `script` under LLM `mode` ("none", "scripted", a spec string or an LLM instance)."""
    from chatrec.testing.bots import make_bot

    if isinstance(mode, LLM):
        llm: Any = mode
    elif mode == "none":
        llm = "none"
    elif mode == "scripted":
        llm = ReplayLLM()
    else:
        llm = real_llm(mode, home=llm_home)
    if record:
        if isinstance(llm, str):
            raise ScriptError(f"record mode needs a real LLM, not llm: {llm}; pass --llm local (or a spec)")
        if isinstance(llm, (ReplayLLM,)):
            raise ScriptError("record mode needs a real LLM, not the scripted one; pass --llm local (or a spec)")
        llm = RecordingLLM(llm)
    catalog = script.catalog_path()
    if catalog is not None and not catalog.exists():
        raise ScriptError(f"{script.path or '<script>'}: catalog file {catalog} does not exist")
    return make_bot(catalog=catalog, llm=llm, embedder=script.embedder, home=index_home,
                    collab="bundled" if script.collab == "bundled" else None, explain=script.explain)


def real_llm(spec: str, *, home: str | Path | None = None) -> LLM:
    """A real LLM from a CHATREC_LLM spec, loaded now so that a missing model is reported, not skipped over."""
    from chatrec.llm.factory import make_llm
    from chatrec.settings import Settings

    settings = Settings.from_env(home=home, llm=spec)
    llm = make_llm(spec, settings)
    if hasattr(llm, "load"):
        try:
            llm.load()
        except LLMUnavailable as exc:
            raise LLMUnavailable(f"cannot load the LLM {spec!r}: {exc}") from None
    return llm


# ---------------------------------------------------------------- results

@dataclass
class Check:
    """One expectation (or the turn itself, `expectation="turn"`) and whether it held."""

    turn: int
    expectation: str
    passed: bool
    message: str = ""


@dataclass
class TurnResult:
    number: int
    action: str
    """What the user did: the message, or "press liked on #2 (Title)"."""
    top_k: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    reply: Any = None

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)


@dataclass
class ReplayResult:
    name: str
    path: Path | None
    llm: str
    turns: list[TurnResult] = field(default_factory=list)
    recorded: bool = False

    @property
    def checks(self) -> list[Check]:
        return [c for t in self.turns for c in t.checks]

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def expectations_passed(self) -> int:
        return sum(c.passed for c in self.checks)

    @property
    def expectations_failed(self) -> int:
        return len(self.failures)

    def report(self) -> str:
        """A readable account of the failures (empty when everything held)."""
        where = f" ({self.path})" if self.path else ""
        lines = [] if self.passed else [f"conversation {self.name!r}{where}, llm: {self.llm}"]
        for turn in self.turns:
            failed = [c for c in turn.checks if not c.passed]
            if not failed:
                continue
            lines.append(f"  turn {turn.number}: {turn.action}")
            lines.extend(f"    FAILED {c.expectation}: {c.message}" for c in failed)
            lines.append(f"    top-k: {_titles(turn.top_k)}")
        return "\n".join(lines)


def _titles(labels: list[str]) -> str:
    return "; ".join(f"{i}. {t}" for i, t in enumerate(labels, 1)) or "(no picks)"


# ---------------------------------------------------------------- the runner

def replay(path_or_script: str | Path | dict | Script, *, bot: Any = None, record: bool = False,
           llm: str | LLM | None = None, bots: BotCache | None = None) -> ReplayResult:
    """Run a scripted conversation and check every expectation; never raises on a failed expectation.

    `llm` overrides the script's LLM mode (a mode string or an `LLM` instance). `bot` runs the
    script on a bot you built (in `scripted` mode its LLM must be a ScriptedLLM). `record=True`
    runs against the real LLM and writes its replies into the file. A malformed script raises
    ScriptError.
    """
    script = path_or_script if isinstance(path_or_script, Script) else load_script(path_or_script)
    mode = llm if llm is not None else script.llm
    if record and mode == "scripted" and llm is None:
        mode = script.recorded_with or "local"
    if record and script.path is None:
        raise ScriptError("record mode writes into the script file: pass a path, not a dict")
    if bot is None:
        if isinstance(mode, LLM) or bots is None:
            bot = build_bot(script, mode, record=record)
        else:
            bot = bots.get(script, mode, record=record)
    mode_name = mode.name if isinstance(mode, LLM) else mode
    result = ReplayResult(name=script.title, path=script.path, llm=mode_name)
    conversation = _Conversation(bot, script, scripted=(mode == "scripted"), result=result)
    conversation.run()
    if record:
        _write_recording(script, conversation.recorded, recorded_with=mode_name)
        result.recorded = True
    return result


class _Conversation:
    """One run of a script on one bot, in a fresh session."""

    def __init__(self, bot: Any, script: Script, *, scripted: bool, result: ReplayResult):
        self.bot = bot
        self.script = script
        self.scripted = scripted
        self.result = result
        self.session = f"replay-{uuid.uuid4().hex[:12]}"
        self.shown: list = []
        self.recorded: list[list] = []

    def run(self) -> None:
        old_top_k = self.bot.top_k
        self.bot.top_k = self.script.top_k or old_top_k
        try:
            for number, turn in enumerate(self.script.turns, 1):
                self.result.turns.append(self._turn(number, turn))
        finally:
            self.bot.top_k = old_top_k
            self.bot.forget(self.session)

    def _turn(self, number: int, turn: Turn) -> TurnResult:
        if turn.press is not None:
            return self._press(number, turn)
        out = TurnResult(number=number, action=repr(turn.user))
        llm = self.bot.llm
        if self.scripted:
            if not isinstance(llm, ScriptedLLM):
                raise ScriptError(f"llm: scripted needs a bot whose LLM is a ScriptedLLM, not {type(llm).__name__}")
            llm.replies = list(turn.llm_replies or [])
            calls_before = len(llm.calls)
        try:
            reply = self.bot.chat(turn.user, session=self.session)
        except (AssertionError, ChatRecError) as exc:
            out.checks.append(Check(number, "turn", False, f"the turn failed: {exc}"))
            return out
        finally:
            if isinstance(llm, RecordingLLM):
                self.recorded.append(llm.take())
        out.reply = reply
        out.top_k = [r.label for r in reply.recommendations]
        self.shown = list(reply.recommendations)
        if self.scripted and llm.replies:
            used = len(llm.calls) - calls_before
            out.checks.append(Check(number, "llm_replies", False,
                                    f"{len(llm.replies)} scripted LLM replies were not used (the turn made "
                                    f"{used} LLM calls: one extraction, then one per pick when explanations are on)"))
        self._check(out, turn.expect, reply.interests, reply.recommendations, reply)
        return out

    def _press(self, number: int, turn: Turn) -> TurnResult:
        press = turn.press
        out = TurnResult(number=number, action=f"press {press.button} on pick #{press.rank}")
        self.recorded.append([])
        if press.rank > len(self.shown):
            out.checks.append(Check(number, "turn", False, f"cannot press {press.button} on pick #{press.rank}: "
                                    f"the previous reply showed {len(self.shown)} picks"))
            return out
        pick = self.shown[press.rank - 1]
        out.action += f" ({pick.label})"
        try:
            interests = self.bot.feedback(self.session, pick.item_id, press.button)
            picks = self.bot.recommend(self.session, explain=True, record=True)
        except ChatRecError as exc:
            out.checks.append(Check(number, "turn", False, f"the button press failed: {exc}"))
            return out
        out.top_k = [r.label for r in picks]
        self.shown = picks
        self._check(out, turn.expect, interests, picks, None)
        return out

    # ---- expectations ------------------------------------------------------------------------
    def _check(self, out: TurnResult, expect: Expect, interests, picks, reply) -> None:
        n = out.number
        add = out.checks.append
        for name, prefs, labels in (("likes", interests.liked, interests.likes),
                                    ("dislikes", interests.disliked, interests.dislikes)):
            names = _pref_names(prefs, labels)
            for wanted in getattr(expect, f"{name}_contain"):
                ok = _norm(wanted) in names
                add(Check(n, f"{name}_contain {wanted!r}", ok, "" if ok else f"{name} are {_shown(labels)}"))
            for unwanted in getattr(expect, f"{name}_exclude"):
                ok = _norm(unwanted) not in names
                add(Check(n, f"{name}_exclude {unwanted!r}", ok, "" if ok else f"{name} are {_shown(labels)}"))
        top = f"the top {len(picks)}"
        for title in expect.top_k_contains:
            ok = _find_pick(picks, title) is not None
            add(Check(n, f"top_k_contains {title!r}", ok, "" if ok else f"not in {top}"))
        for title in expect.top_k_excludes:
            rank = _find_pick(picks, title)
            add(Check(n, f"top_k_excludes {title!r}", rank is None, "" if rank is None else f"it is pick #{rank}"))
        for key, test in (("all_have_genre", all), ("none_have_genre", lambda xs: not any(xs)),
                          ("any_has_genre", any)):
            genre = getattr(expect, key)
            if genre is None:
                continue
            has = [_norm(genre) in {_norm(g) for g in r.genres} for r in picks]
            ok = bool(picks) and test(has)
            if not picks:
                why = "there are no picks"
            elif key == "any_has_genre":
                why = f"no pick has genre {genre!r}"
            else:
                odd = [f"#{i} {r.label} {r.genres}" for i, (r, h) in enumerate(zip(picks, has), 1)
                       if h != (key == "all_have_genre")]
                why = ("without" if key == "all_have_genre" else "with") + f" {genre!r}: " + "; ".join(odd)
            add(Check(n, f"{key} {genre!r}", ok, "" if ok else why))
        for rank_of in expect.rank_of:
            rank = _find_pick(picks, rank_of.title)
            ok = rank is not None and rank <= rank_of.at_most
            why = f"not in {top}" if rank is None else f"it is pick #{rank}"
            add(Check(n, f"rank_of {rank_of.title!r} at_most {rank_of.at_most}", ok, "" if ok else why))
        if expect.all_in_years is not None:
            low, high = expect.all_in_years
            odd = [f"#{i} {r.label}" for i, r in enumerate(picks, 1) if r.year is None or not low <= r.year <= high]
            ok = bool(picks) and not odd
            add(Check(n, f"all_in_years {low}-{high}", ok,
                      "" if ok else ("there are no picks" if not picks else "outside: " + "; ".join(odd))))
        if expect.genres_at_least is not None:
            genres = sorted({_norm(g) for r in picks for g in r.genres})
            ok = len(genres) >= expect.genres_at_least
            add(Check(n, f"genres_at_least {expect.genres_at_least}", ok,
                      "" if ok else f"the picks span {len(genres)}: {', '.join(genres) or '(none)'}"))
        if reply is None:
            return
        if expect.asks_question is not None:
            ok = reply.asks_question == expect.asks_question
            add(Check(n, f"asks_question {expect.asks_question}", ok,
                      "" if ok else f"asks_question is {reply.asks_question}; the reply: {reply.text!r}"))
        for text in expect.text_contains:
            ok = _norm(text) in _norm(reply.text)
            add(Check(n, f"text_contains {text!r}", ok, "" if ok else f"the reply: {reply.text!r}"))
        if expect.explanations_grounded:
            bad = self._ungrounded(picks)
            add(Check(n, "explanations_grounded", not bad, "; ".join(bad)))
        if expect.explanation_mentions:
            word = expect.explanation_mentions
            bad = [f"#{i} {r.label}: {r.explanation!r}" for i, r in enumerate(picks, 1)
                   if _norm(word) not in _norm(r.explanation)]
            add(Check(n, f"explanation_mentions {word!r}", bool(picks) and not bad,
                      "there are no picks" if not picks else "not mentioned in " + "; ".join(bad)))

    def _ungrounded(self, picks) -> list[str]:
        checker = self.bot.explainer.checker
        state = self.bot.state(self.session)
        bad = []
        for i, rec in enumerate(picks, 1):
            verdict = checker.check(rec.explanation, self.bot.catalog[rec.item_id], state, rec.matched)
            if not verdict.ok:
                bad.append(f"#{i} {rec.label} ({rec.explanation_source}): {verdict.reason}: {rec.explanation!r}")
        return bad


def _norm(text: str) -> str:
    return " ".join(str(text).lower().split())


_YEAR_SUFFIX = re.compile(r"\s*\((\d{4})\)$")


def _pref_names(prefs, labels: list[str]) -> set[str]:
    """Every way a test may name a preference: its label, its value, the label without the year."""
    names = {_norm(label) for label in labels}
    for pref in prefs:
        names |= {_norm(pref.label), _norm(pref.value), _norm(_YEAR_SUFFIX.sub("", pref.label))}
    return names


def _find_pick(picks, title: str) -> int | None:
    """1-based rank of the first pick whose title or "title (year)" label is `title`."""
    wanted = _norm(title)
    for rank, rec in enumerate(picks, 1):
        if wanted in (_norm(rec.title), _norm(rec.label)):
            return rank
    return None


def _shown(labels: list[str]) -> str:
    return ", ".join(labels) if labels else "(none)"


# ---------------------------------------------------------------- record mode

def _write_recording(script: Script, recordings: list[list], *, recorded_with: str) -> None:
    """Put each turn's recorded LLM replies into the file and switch it to `llm: scripted`."""
    assert script.path is not None
    data = yaml.safe_load(script.path.read_text(encoding="utf-8"))
    for raw_turn, replies in zip(data["turns"], recordings):
        if "user" in raw_turn:
            raw_turn["llm_replies"] = replies
            _move_expect_last(raw_turn)
    data["llm"] = "scripted"
    data["recorded_with"] = recorded_with
    ordered = {k: data[k] for k in Script.model_fields if k in data}
    text = yaml.safe_dump(ordered, sort_keys=False, allow_unicode=True, width=100)
    script.path.write_text(text, encoding="utf-8")


def _move_expect_last(turn: dict) -> None:
    if "expect" in turn:
        turn["expect"] = turn.pop("expect")


class _CallableModule(types.ModuleType):
    """`chatrec.testing.replay` is both this module and the function: calling the module runs `replay`."""

    def __call__(self, *args, **kwargs) -> ReplayResult:
        return replay(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
