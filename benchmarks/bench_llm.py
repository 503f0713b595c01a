"""Benchmark the embedded LLM: GGUF assembly, model load, extraction latency with and without
prefix reuse, generation speed and resident memory.

Run:  python benchmarks/bench_llm.py [--calls 8] [--threads 2] [--home DIR]

Uses the real extraction prompt (prompts/extract.yaml: system + few-shot + user) with the
InterestDelta schema. Scenarios, each over the same messages:
  stable     the system + few-shot prefix is identical on every call (llama.cpp reuses its KV cache)
  no-reuse   the KV cache is reset before every call (the whole prompt is evaluated every time)
  shown      the system prompt's "Earlier recommendations" line changes every call, as in a real
             conversation (the few-shot block after it is re-evaluated)
  alt        extraction alternates with an explanation call (another prompt family in between)
  alt+cache  the same with a LlamaRAMCache that keeps the state of earlier prompts
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chatrec.dialogue.schema import InterestDelta  # noqa: E402
from chatrec.llm import gguf  # noqa: E402
from chatrec.llm.local import LocalLLM, unload_all  # noqa: E402
from chatrec.prompts import load_prompt  # noqa: E402
from chatrec.settings import Settings  # noqa: E402

MESSAGES = [
    "I love sci-fi like Inception but no horror please",
    "something with Tom Hanks from the 90s",
    "actually forget sci-fi, I want a feel-good comedy now",
    "seen the first one, the second looks great",
    "any good documentaries about space?",
    "I hated Titanic, too long and too sad",
    "dark thrillers by David Fincher",
    "an animated movie for kids, recent please",
]
SHOWN = ["none", "1. Arrival (2016)", "1. Big (1988); 2. Cast Away (2000)", "1. Up (2009); 2. Elf (2003)"]
FACTS = ("Title: Arrival\nYear: 2016\nGenres: drama, mystery, sci-fi\nDirector: Denis Villeneuve\n"
         "Plot: A linguist works with the military to communicate with alien lifeforms.")


def rss_mb() -> tuple[float, float]:
    """Current and peak resident memory of this process in MiB."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields.get("VmRSS", 0.0), fields.get("VmHWM", 0.0)


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def extraction(llm: LocalLLM, message: str, shown: str = "none") -> tuple[InterestDelta, float]:
    msgs = load_prompt("extract").messages(message=message, shown=shown)
    return timed(lambda: llm.complete(msgs, schema=InterestDelta, max_tokens=320))


def explanation(llm: LocalLLM) -> float:
    msgs = load_prompt("explain").messages(facts=FACTS, interests="sci-fi, aliens")
    return timed(lambda: llm.complete(msgs, max_tokens=60))[1]


def scenario(llm: LocalLLM, name: str, calls: int) -> list[float]:
    llama = llm.load().llama
    extraction(llm, "hello")  # warm the prefix once so every scenario starts alike
    times = []
    for i in range(calls):
        message = MESSAGES[i % len(MESSAGES)]
        if name == "no-reuse":
            llama.reset()
        if name.startswith("alt"):
            explanation(llm)
        shown = SHOWN[i % len(SHOWN)] if name == "shown" else "none"
        times.append(extraction(llm, message, shown)[1])
    return times


def generation_speed(llm: LocalLLM) -> tuple[float, float, int]:
    """(prompt tokens/s with a cold cache, generated tokens/s, prompt tokens)."""
    llama = llm.load().llama
    msgs = [m.model_dump() for m in load_prompt("extract").messages(message="I like sci-fi", shown="none")]
    llama.reset()
    reply, seconds = timed(lambda: llama.create_chat_completion(messages=msgs, max_tokens=1, temperature=0.0))
    prompt_tokens = reply["usage"]["prompt_tokens"]
    first = last = None
    pieces = 0
    for chunk in llama.create_chat_completion(
            messages=[{"role": "user", "content": "Write a paragraph about your favourite movie."}],
            stream=True, max_tokens=128, temperature=0.0):
        if chunk["choices"][0]["delta"].get("content"):
            last = time.perf_counter()
            first = first or last
            pieces += 1
    gen_speed = (pieces - 1) / (last - first) if pieces > 1 else 0.0
    return prompt_tokens / seconds, gen_speed, prompt_tokens


def p50(times: list[float]) -> str:
    return f"p50 {statistics.median(times):6.2f}s  min {min(times):5.2f}s  max {max(times):5.2f}s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--home", help="chatrec home with the assembled GGUF (default: a fresh temp folder)")
    parser.add_argument("--scenarios", default="stable,no-reuse,shown,alt,alt+cache")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="chatrec-bench-") as tmp:
        settings = Settings(home=Path(args.home or tmp), llm_threads=args.threads, llm_timeout=300)
        first = timed(lambda: gguf.ensure_embedded_gguf(settings))[1]
        cached = timed(lambda: gguf.ensure_embedded_gguf(settings))[1]
        print(f"GGUF assembly: first {first:.2f}s (incl. sha256{'; already assembled' if args.home else ''}), "
              f"cached {cached * 1000:.2f}ms")
        print(f"RSS before load: {rss_mb()[0]:.0f} MiB")

        llm = LocalLLM(settings)
        model = llm.load()
        print(f"model load: {model.load_seconds:.2f}s  (threads={args.threads}, n_ctx={llm.n_ctx})  "
              f"RSS {rss_mb()[0]:.0f} MiB")
        delta, warm = extraction(llm, MESSAGES[0])
        print(f"first extraction (cold prefix): {warm:.2f}s -> {delta.model_dump(exclude_defaults=True)}")

        for name in args.scenarios.split(","):
            if name == "alt+cache":
                llm = LocalLLM(settings, prompt_cache_mb=256)
            times = scenario(llm, name, args.calls)
            print(f"extraction [{name:9}] over {args.calls} calls: {p50(times)}")

        prompt_speed, gen_speed, prompt_tokens = generation_speed(LocalLLM(settings))
        print(f"prompt eval: {prompt_speed:.0f} tok/s ({prompt_tokens} prompt tokens, cold); generation: {gen_speed:.1f} tok/s")
        rss, peak = rss_mb()
        print(f"RSS after: {rss:.0f} MiB (peak {peak:.0f} MiB; two models loaded if alt+cache ran)")
        unload_all()


if __name__ == "__main__":
    main()
