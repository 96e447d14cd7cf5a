"""Our network against the author's recipe, as a test of its own.

For every row and every published curve that has both our calibration seeds
(config/calibration.yaml, calibration_curves.json) and the recipe's seeds
(config/recipe.yaml, recipe_curves.json), two two-sample tests of the per-seed values:
Welch's t (the means) and Brown-Forsythe (the spreads). A curve is compared by each
seed's epoch-averaged value. All the p-values together are Holm-adjusted, so that the
whole table flags a difference where there is none with probability at most the gate's
family rate; a flagged row is reported for investigation, never failed (the gate asks
whether the book's draw could be ours; this asks whether our network is the recipe's).
"""

from __future__ import annotations

import numpy as np

from . import check, stats


def row_pairs(calibration: dict, recipe: dict | None) -> dict:
    """{row id: (our values, the recipe's)} for every row with per-seed values in both."""
    ours, theirs = calibration.get("per_seed") or {}, (recipe or {}).get("per_seed") or {}
    return {r: (list(ours[r].values()), list(theirs[r].values()))
            for r in ours if r in theirs}


def curve_pairs(curve_calibration: dict, recipe_curves: dict | None) -> dict:
    """{curve id: (our epoch means, the recipe's)}, from each file's per_seed entries
    ([epoch mean, final value] by seed)."""
    theirs = (recipe_curves or {}).get("curves") or {}
    return {c: ([v[0] for v in entry["per_seed"].values()],
                [v[0] for v in theirs[c]["per_seed"].values()])
            for c, entry in curve_calibration["curves"].items() if c in theirs}


def compare(pairs: dict, alpha_family: float) -> list[dict]:
    """One entry per id: both samples' n, mean, sd; Welch's and Brown-Forsythe's p, raw
    and Holm-adjusted over every test of the table; flagged when an adjusted p is below
    alpha_family."""
    entries = []
    for key, (ours, recipe) in pairs.items():
        entries.append({"id": key, "ours": summary(ours), "recipe": summary(recipe),
                        "p_mean": stats.welch(ours, recipe)["p"],
                        "p_spread": stats.brown_forsythe(ours, recipe)["p"]})
    adjusted = stats.holm([e[k] for e in entries for k in ("p_mean", "p_spread")])
    for i, e in enumerate(entries):
        e["p_mean_holm"], e["p_spread_holm"] = adjusted[2 * i], adjusted[2 * i + 1]
        e["flagged"] = [what for what, p in (("mean", e["p_mean_holm"]),
                                             ("spread", e["p_spread_holm"]))
                        if p < alpha_family]
    return entries


def summary(values) -> dict:
    v = np.asarray(values, dtype=float)
    return {"n": len(v), "mean": float(v.mean()), "sd": stats.sd(v),
            "min": float(v.min()), "max": float(v.max())}


def markdown(entries: list[dict], alpha_family: float) -> str:
    """The table of the report and of the docs block (`python -m nndl3 docs`)."""
    lines = ["## Our network against the author's recipe",
             "",
             "Each row and published curve with seeds of both (ours: the calibration; the "
             "recipe: config/recipe.yaml): Welch's t-test of the means and the "
             "Brown-Forsythe test of the spreads, Holm-adjusted over the whole table, "
             f"flagged for investigation below {alpha_family:g} (never a failure).", ""]
    if not entries:
        return "\n".join(lines + ["No row or curve has recipe seeds yet.", ""])
    lines += ["| row or curve | ours: n, mean ± sd | recipe: n, mean ± sd | p (means) "
              "| p (spreads) | Holm p (means, spreads) | flagged |",
              "|---|---|---|---|---|---|---|"]
    for e in entries:
        lines.append(f"| `{e['id']}` | {cell(e['ours'])} | {cell(e['recipe'])} | "
                     f"{e['p_mean']:.3g} | {e['p_spread']:.3g} | {e['p_mean_holm']:.3g}, "
                     f"{e['p_spread_holm']:.3g} | {', '.join(e['flagged']) or '-'} |")
    flagged = [e["id"] for e in entries if e["flagged"]]
    lines += ["", f"**{len(flagged)} of {len(entries)} differ from the recipe**"
              + (f": {', '.join(flagged)}" if flagged else "")]
    return "\n".join(lines) + "\n"


def cell(s: dict) -> str:
    return f"{s['n']}, {s['mean']:.3f} ± {s['sd']:.3f}"


def distributions(row_id: str, calibration: dict, recipe: dict | None, result: dict) -> dict:
    """One row's distributions side by side: the recipe's seeds, our calibration seeds,
    the seeds of this check (`result`, the row as evaluated), the book's one draw."""
    def of(doc):
        values = check.stored_values(doc or {}, row_id)
        return None if values is None else {"seeds": [min(values), max(values)],
                                            **summary(list(values.values()))}

    return {"id": row_id, "recipe": of(recipe), "calibration": of(calibration),
            "check": {k: result[k] for k in ("n", "mean", "sd", "min", "max")},
            "book": result["book"]}


def distribution_table(d: dict) -> str:
    lines = [f"`{d['id']}`:", "", "| | seeds | mean | sd | range |", "|---|---|---|---|---|"]
    for label, key in (("the author's recipe, replayed", "recipe"),
                       ("our network, the calibration", "calibration"),
                       ("our network, this check's seeds", "check")):
        s = d[key]
        if s is None:
            lines.append(f"| {label} | not replayed | | | |")
            continue
        seeds = f"{s['n']} ({s['seeds'][0]}-{s['seeds'][1]})" if "seeds" in s else s["n"]
        lines.append(f"| {label} | {seeds} | {s['mean']:.3f} | {s['sd']:.3f} | "
                     f"{s['min']:.2f}-{s['max']:.2f} |")
    lines.append(f"| the book's published run | 1 | {d['book']:g} | | |")
    return "\n".join(lines) + "\n"
