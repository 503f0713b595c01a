"""Write an evaluation's markdown summary and PNG plot next to its JSON.

`write_report(result, json_path)` writes `<stem>.md` and `<stem>.png` beside `json_path` (the
JSON itself is written by the caller) and returns their paths. A result may hold a ReDial run
(`systems` with "all"/"new" conditions), a simulated-user run (`simulation`), or both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chatrec.eval.redial import KS

__all__ = ["redial_table", "simulation_table", "markdown", "plot", "write_report"]

METRICS = [f"recall@{k}" for k in KS] + ["ndcg@10", "mrr"]
REFERENCE = ("Published on the ReDial *test* split (He et al., CIKM 2023; not the same dialogues): "
             "GPT-4 zero-shot R@10 .194 all / .201 new; UniCRS .224 (published), .180 (reproduced); "
             "KBRD .163 / .148.")


def redial_table(result: dict[str, Any], *, markdown_table: bool = True) -> str:
    """One row per system and condition: n and every metric."""
    header = ["system", "condition", "n"] + METRICS
    rows = []
    for name, sysres in result.get("systems", {}).items():
        for cond in ("all", "new"):
            m = sysres["conditions"].get(cond)
            if m is None:
                continue
            rows.append([name, cond, str(m["n"])] + [f"{m[key]:.4f}" for key in METRICS])
    return _table(header, rows, markdown_table)


def simulation_table(sim: dict[str, Any], *, markdown_table: bool = True) -> str:
    header = ["turn"] + list(sim["by_turn"])
    rows = [[str(t + 1)] + [f"{sim['by_turn'][key][t]:.3f}" for key in sim["by_turn"]] for t in range(sim["turns"])]
    return _table(header, rows, markdown_table)


def _table(header: list[str], rows: list[list[str]], md: bool) -> str:
    if md:
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown(result: dict[str, Any], *, title: str = "chatrec evaluation", plot_name: str | None = None) -> str:
    out = [f"# {title}", ""]
    if result.get("systems"):
        cfg = result.get("config", {})
        out += [f"Data: `{cfg.get('data', '?')}`, {result['n_dialogues']} dialogues, "
                f"{result.get('n_turns_scored', '?')} recommender turns scored, top {result.get('k', 20)}; "
                f"LLM mode `{cfg.get('llm', '?')}`, collaborative model {'on' if cfg.get('collab', True) else 'off'}, "
                f"seed {cfg.get('seed', 0)}; {result.get('seconds', '?')} s.", "",
                "Protocol: He et al. (CIKM 2023). One sample per movie a recommender turn mentions; the system "
                "has seen the dialogue before that turn. \"new\": the target was not mentioned earlier. Every "
                "system leaves out movies already mentioned in the dialogue, so a repeated target is a miss on "
                "\"all\" by construction. Popularity and co-mention are counted on the bundled collaborative "
                "model's data (ReDial train text + dev_c: training dialogues, never the evaluated file).", "",
                redial_table(result), "", REFERENCE, ""]
    sim = result.get("simulation")
    if sim:
        cfg = sim.get("config", {})
        out += ["## Simulated users", "",
                f"{sim['n']} templated users on `{cfg.get('catalog', 'the bundled catalog')}`, {sim['turns']} turns, "
                "one attribute revealed per turn (genre, person, plot keyword, era); success@k = the target was in "
                "the top k by that turn.", "", simulation_table(sim), ""]
    if plot_name:
        out += [f"![plot]({plot_name})", ""]
    return "\n".join(out)


def plot(result: dict[str, Any], path: Path) -> Path | None:
    """Recall@k curves per system (all / new) and simulated success by turn, in one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = []
    if result.get("systems"):
        panels += ["all", "new"]
    if result.get("simulation"):
        panels.append("sim")
    if not panels:
        return None
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4), squeeze=False)
    for ax, panel in zip(axes[0], panels):
        if panel == "sim":
            sim = result["simulation"]
            turns = list(range(1, sim["turns"] + 1))
            for key, values in sim["by_turn"].items():
                ax.plot(turns, values, marker="o", label=key)
            ax.set_xlabel("turn")
            ax.set_ylabel("success")
            ax.set_title(f"simulated users (n={sim['n']})")
            ax.set_xticks(turns)
        else:
            for name, sysres in result["systems"].items():
                m = sysres["conditions"][panel]
                ax.plot(list(KS), [m[f"recall@{k}"] for k in KS], marker="o", label=name,
                        linewidth=2.5 if name == result.get("system") else 1.2)
            ax.set_xlabel("k")
            ax.set_ylabel("Recall@k")
            ax.set_xticks(list(KS))
            n = result["systems"][result.get("system") or next(iter(result["systems"]))]["conditions"][panel]["n"]
            ax.set_title(f"ReDial \"{panel}\" targets (n={n})")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_report(result: dict[str, Any], json_path: str | Path, *, title: str = "chatrec evaluation") -> dict[str, Path]:
    json_path = Path(json_path)
    png = plot(result, json_path.with_suffix(".png"))
    md = json_path.with_suffix(".md")
    md.write_text(markdown(result, title=title, plot_name=png.name if png else None), encoding="utf-8")
    out = {"markdown": md}
    if png:
        out["png"] = png
    return out
