"""The check's rows for the literature runs (config/expected.yaml `literature:`).

Each row names a literature run and the paper's test accuracy, read at the epoch best on
validation. The paper's run is one draw, compared with the mean of our n seeds, with

    V = sd_seeds^2 (1 + 1/n) + p (1 - p) / n_test

the seed part estimated from our seeds (n - 1 degrees of freedom), the test set's binomial
part known (infinite degrees of freedom). Both score on the same test images, whose
effect on a network's accuracy our seed spread already holds, so the binomial part is a
conservative allowance (issue 27 asks for it), not a part of the difference's variance.
The tolerance is the gate's rule (nndl3.tolerance): Student's t at V's Welch-Satterthwaite
degrees of freedom, at the Šidák share of the gate's false-failure rate over these rows,
times sqrt(V), plus the paper's precision. Both parts measured, nothing typed in.
A row whose run has fewer than MIN_SEEDS records (a miniature's or a probe's do not count)
is `not run`: neither passed nor failed; the check of `all` (nndl3.check) never reads these rows.

A row with `varies: <row id>` is the same run with a value the paper does not give chosen
otherwise: it is held to the paper's number as its row is, at the same false-failure rate
(it is not one of the paper's numbers, so not counted in the Šidák family), and its seeds
are compared with that row's seed by seed (`choices`): whether the choice moves the
number. The comparison is paired, because a seed draws the same initial weights and the
same order of the images in every Simard run (nndl3.train.streams), and a run that continues
another (simard_elastic_long) holds that run's first epochs; so two runs' seeds of one
number are not independent samples, and a test that takes them so (Welch's) is no test.

A row with `above: <row id>` says that the paper's number is above that row's in one
comparison of the paper (Simard's elastic above affine above plain). Each row is held to
its own number; whether ours keep the paper's order is a comparison of its own (`orders`),
paired by seed as the choices are: reported (`as the paper`, or `reversed`), not a row.

What a row can see (`with_power`), as in the chapter's gate (nndl3.check): the shift of
our mean that fails it with the gate's `detectable_power`, against the difference the
paper reports beside its number (`paper_effects`: to an `above` row, either way, or to
`compared_with`, a number of the paper without a row of its own). A pass that cannot see
a shift that large is `weak`: it could not fail a network that misses the paper's own
difference. What more seeds could see (`more_seeds`): the shift with unlimited seeds, at
the seed spread measured and at none, and the fewest seeds within the paper's effect.
Judged from a result's stored numbers, so a committed result made before this judgment
gets it too.
"""

from __future__ import annotations

import math

import numpy as np

from . import mnist, paths, readers, stats, tolerance
from .cells import number
from .errors import UserError
from .status import FAIL, NOT_RUN, PASS, WEAK

MIN_SEEDS = 3  # fewer seeds measure no spread worth a tolerance
# the scales a record can be of: only a run as configured (RUNS) counts in a row
RUNS, MINIATURE = paths.LITERATURE_SCALES[:2]
N_TEST = mnist.FILES["test_labels"].shape[0]  # the test set a row's accuracy is read on


def rows(expected_path) -> list[dict]:
    doc = readers.yaml_mapping(expected_path, "expected values", ("literature",))
    if not isinstance(doc["literature"], list):
        raise UserError(f"{expected_path}: literature: not a list of rows")
    for i, row in enumerate(doc["literature"]):
        if not isinstance(row, dict):
            raise UserError(f"{expected_path}: literature[{i}]: not a mapping")
        for key in ("id", "run", "book", "book_precision", "quantity"):
            if key not in row:
                raise UserError(f"{expected_path}: literature[{i}]: missing key {key!r}")
    by_id = {}
    for row in doc["literature"]:
        if row["id"] in by_id:
            raise UserError(f"{expected_path}: literature {row['id']}: a second row of this id")
        by_id[row["id"]] = row
    for row in doc["literature"]:  # every row's numbers first: `above` compares two rows'
        problem = tolerance.book_numbers_problem(row, precision_above_zero=True)
        if problem:
            raise UserError(f"{expected_path}: literature {row['id']}: {problem}")
    for row in doc["literature"]:
        if "compared_with" in row and not readers.is_finite_number(row["compared_with"]):
            raise UserError(f"{expected_path}: literature {row['id']}: compared_with: "
                            f"{row['compared_with']!r} is not a number")
        for key in ("varies", "above"):
            if key in row and (not isinstance(row[key], str) or row[key] not in by_id
                               or row[key] == row["id"]):
                raise UserError(f"{expected_path}: literature {row['id']}: {key}: "
                                f"{row[key]!r} is not another row's id")
        if "above" in row and not row["book"] > by_id[row["above"]]["book"]:
            raise UserError(f"{expected_path}: literature {row['id']}: above: "
                            f"{row['above']!r}, but its book {row['book']} is not above "
                            f"{by_id[row['above']]['book']}")
    return doc["literature"]


def scale_of(record: dict) -> str:
    """What a record is of (paths.LITERATURE_SCALES); records before `scale` had only
    `miniature`."""
    return record.get("scale") or (MINIATURE if record.get("miniature") else RUNS)


def family(rows: list[dict]) -> int:
    """How many rows share the gate's false-failure rate: the paper's numbers, not the rows
    that vary one of our choices."""
    return sum("varies" not in row for row in rows)


def alpha(expected_path, n_rows: int) -> float:
    """Each row's false-failure rate: the Šidák share, over the literature rows, of the
    gate's stated rate (config/expected.yaml `gate: family_false_failure`)."""
    doc = readers.yaml_mapping(expected_path, "expected values", ("gate",))
    rate = tolerance.gate_value(doc["gate"], "family_false_failure", str(expected_path))
    return stats.sidak(rate, max(n_rows, 1))


def evaluate(row: dict, records: list[dict], alpha_row: float) -> dict:
    """One row against the records of its run (any seeds, possibly none)."""
    mine = [r for r in records if r["run"] == row["run"] and scale_of(r) == RUNS]
    out = {"id": row["id"], "run": row["run"], "quantity": row["quantity"],
           "book": row["book"], "n": len(mine),
           **({"varies": row["varies"]} if "varies" in row else {})}
    if len(mine) < MIN_SEEDS:
        other = [r for r in records if r["run"] == row["run"] and scale_of(r) != RUNS]
        scales = sorted({scale_of(r) for r in other})
        given = (f"; {len(other)} record(s) of its {' and '.join(scales)}, which do not count"
                 if other else "")
        return {**out, "status": NOT_RUN,
                "reason": f"{len(mine)} seed(s) of run {row['run']}, {MIN_SEEDS} needed{given}"}
    mine.sort(key=lambda r: r["seed"])
    values = np.array([100 * r["test_at_best"] for r in mine])
    n_test = mine[0]["n_test"]
    mean = float(values.mean())
    seed_sd = float(values.std(ddof=1))
    binomial_sd = binomial_spread(mean, n_test)
    spread = difference_spread(seed_sd, len(values), binomial_sd)
    tol, _ = tolerance.book_tolerance(spread, alpha_row, row["book_precision"])
    return {**out, "mean": mean, "seed_sd": seed_sd, "binomial_sd": binomial_sd,
            "tolerance": tol, "df": spread.df, "alpha": alpha_row, "values": values.tolist(),
            "seeds": [r["seed"] for r in mine],
            # which code made each seed (records before `code` have none): the committed
            # result outlives its records, so it keeps their provenance
            "code": [r.get("code") for r in mine],
            "git_commit": [r.get("git_commit") for r in mine],
            "min": float(values.min()), "max": float(values.max()),
            "best_epochs": [r["best_epoch"] for r in mine],
            "status": PASS if abs(mean - row["book"]) <= tol else FAIL}


def binomial_spread(accuracy: float, n_test: int) -> float:
    """The binomial sd, in points, of an accuracy (in %) measured on n_test images."""
    p = accuracy / 100
    return 100 * math.sqrt(p * (1 - p) / n_test)


def difference_spread(seed_sd: float, n: int, binomial_sd: float) -> tolerance.Spread:
    """The sd of (our mean of n seeds - the paper's one draw) and its degrees of freedom:
    the seed part estimated (n - 1 df), the binomial part known (its df infinite, so it
    adds nothing to the Satterthwaite denominator)."""
    seed_part = seed_sd ** 2 * (1 + 1 / n)
    total = seed_part + binomial_sd ** 2
    df = (math.inf if seed_part == 0 else
          stats.satterthwaite([seed_part, binomial_sd ** 2], [n - 1, math.inf]))
    return tolerance.Spread(math.sqrt(total), df, "ours")


def paper_effects(rows: list[dict]) -> dict:
    """{row id: the smallest non-zero difference the paper reports beside its number} (to
    an `above` row, either way, or to `compared_with`); a `varies` row has its row's; None
    where the paper compares the number with nothing."""
    by_id = {r["id"]: r for r in rows}
    gaps: dict[str, list[float]] = {r["id"]: [] for r in rows}
    for r in rows:
        if "above" in r:
            gap = r["book"] - by_id[r["above"]]["book"]
            gaps[r["id"]].append(gap)
            gaps[r["above"]].append(gap)
        if "compared_with" in r and r["compared_with"] != r["book"]:
            gaps[r["id"]].append(abs(r["book"] - r["compared_with"]))
    effects = {i: min(g) if g else None for i, g in gaps.items()}
    return {r["id"]: effects[r.get("varies", r["id"])] for r in rows}


def with_power(rows: list[dict], results: list[dict], power: float,
               alpha_row: float) -> list[dict]:
    """Each made result with the shift it detects with probability `power` and the paper's
    effect beside its number; a pass whose detectable shift exceeds that effect is `weak`
    (a result judged before, `weak` or not, is judged again: the same numbers, this code).
    Each also with what more seeds could see (`more_seeds`), at the row's false-failure
    rate `alpha_row`."""
    effects = paper_effects(rows)
    precision = {row["id"]: row["book_precision"] for row in rows}
    out = []
    for r in results:
        if "mean" not in r:  # not run: whether it could pass at all, before hours of CPU
            effect = effects.get(r["id"])
            out.append(r if effect is None else {
                **r, "paper_effect": effect,
                "shift_no_spread": shift_at_paper(r["book"], precision[r["id"]], alpha_row,
                                                  power)})
            continue
        spread = difference_spread(r["seed_sd"], r["n"], r["binomial_sd"])
        shift = tolerance.detectable(r["tolerance"], spread.sigma, spread.df, power)
        effect = effects.get(r["id"])
        passed = r["status"] in (PASS, WEAK)
        weak = passed and effect is not None and shift > effect
        out.append({**r, "detectable_shift": shift, "paper_effect": effect,
                    # at the rate the stored tolerance was made at (older results: this one)
                    **more_seeds(r, effect, precision[r["id"]], r.get("alpha", alpha_row),
                                 power),
                    "status": WEAK if weak else PASS if passed else r["status"]})
    return out


def judged(expected_path, records: list[dict]) -> tuple[list[dict], list[dict]]:
    """(the rows of `expected_path`, what the check makes of `records` for each: evaluated
    at the row's share of the false-failure rate, then judged with the gate's power)."""
    expected_rows = rows(expected_path)
    alpha_row = alpha(expected_path, family(expected_rows))
    evaluated = [evaluate(row, records, alpha_row) for row in expected_rows]
    return expected_rows, with_power(expected_rows, evaluated, power(expected_path),
                                     alpha_row)


MOST_SEEDS = 10_000  # where the search for the seeds a row needs stops


def detectable_with(seed_sd: float, n: float, binomial_sd: float, precision: float,
                    alpha_row: float, power: float) -> float:
    """The shift a row detects with probability `power` from n seeds of spread seed_sd, at
    this code's tolerance; n = inf: unlimited seeds, whose spread is then known (the mean's
    own spread gone, the degrees of freedom infinite)."""
    if math.isinf(n):
        return tolerance.unlimited_shift(math.hypot(seed_sd, binomial_sd), alpha_row,
                                         precision, power)
    spread = difference_spread(seed_sd, int(n), binomial_sd)
    tol, _ = tolerance.book_tolerance(spread, alpha_row, precision)
    return tolerance.detectable(tol, spread.sigma, spread.df, power)


def shift_at_paper(book: float, precision: float, alpha_row: float, power: float) -> float:
    """A row not run yet: its detectable shift with unlimited seeds and no seed spread, the
    test set's binomial spread taken at the paper's number; above the paper's effect, the
    row can pass only as weak, whatever its seeds."""
    return detectable_with(0.0, math.inf, binomial_spread(book, N_TEST), precision, alpha_row,
                           power)


def more_seeds(r: dict, effect, precision: float, alpha_row: float, power: float) -> dict:
    """What more seeds could see: the detectable shift with unlimited seeds at the seed
    spread measured (`shift_unlimited`) and at none (`shift_no_spread`: the test set's
    binomial spread and the paper's precision alone, what no network of ours can lower),
    and the fewest seeds whose detectable shift, at the spread measured, is within the
    paper's effect (`seeds_to_see`; None where MOST_SEEDS do not get there)."""
    def shift(n, sd=r["seed_sd"]):
        return detectable_with(sd, n, r["binomial_sd"], precision, alpha_row, power)

    out = {"shift_unlimited": shift(math.inf), "shift_no_spread": shift(math.inf, 0.0),
           "seeds_to_see": None}
    if effect is None or out["shift_unlimited"] > effect or shift(MOST_SEEDS) > effect:
        return out
    low, high = r["n"], MOST_SEEDS  # shift(low) may see it; shift(high) does
    if shift(low) <= effect:
        return {**out, "seeds_to_see": low}
    while high - low > 1:  # the shift falls as n grows (smaller sd, more df)
        mid = (low + high) // 2
        low, high = (low, mid) if shift(mid) <= effect else (mid, high)
    return {**out, "seeds_to_see": high}


def power(expected_path) -> float:
    """The gate's power at which a row's detectable shift is quoted (config/expected.yaml
    `gate: detectable_power`)."""
    doc = readers.yaml_mapping(expected_path, "expected values", ("gate",))
    return tolerance.gate_value(doc["gate"], "detectable_power", str(expected_path))


def choices(rows: list[dict], results: list[dict]) -> list[dict]:
    """Each `varies` row against the row it varies, when both ran (`paired`)."""
    by_id = {r["id"]: r for r in results}
    return [{"id": row["id"], "varies": row["varies"],
             **paired(by_id[row["id"]], by_id[row["varies"]])}
            for row in rows if "varies" in row
            and NOT_RUN not in (by_id[row["id"]]["status"], by_id[row["varies"]]["status"])]


def orders(rows: list[dict], results: list[dict]) -> list[dict]:
    """Each `above` row against the row the paper has it above, when both ran (`paired`):
    `as the paper` when our difference has the paper's sign, `reversed` when the other
    (its p says how surely), `equal` when none."""
    by_id = {r["id"]: r for r in results}
    out = []
    for row in rows:
        if "above" not in row:
            continue
        mine, below = by_id[row["id"]], by_id[row["above"]]
        if NOT_RUN in (mine["status"], below["status"]):
            continue
        out.append({"id": row["id"], "above": row["above"],
                    "paper_difference": mine["book"] - below["book"],
                    **paired(mine, below)})
        if "difference" in out[-1]:
            d = out[-1]["difference"]
            out[-1]["order"] = "as the paper" if d > 0 else "reversed" if d < 0 else "equal"
    return out


def paired(mine: dict, base: dict) -> dict:
    """Two rows' results over the seeds both have: the mean of the seeds' differences
    (mine less base) and the paired t-test of them; with fewer than MIN_SEEDS seeds in
    common, a reason instead."""
    a, b = (dict(zip(r["seeds"], r["values"], strict=True)) for r in (mine, base))
    common = sorted(a.keys() & b.keys())
    if len(common) < MIN_SEEDS:
        return {"seeds": common,
                "reason": f"{len(common)} seed(s) in common, {MIN_SEEDS} needed"}
    pairs = np.array([[a[s], b[s]] for s in common])
    return {"seeds": common, "difference": float((pairs[:, 0] - pairs[:, 1]).mean()),
            **stats.paired(pairs[:, 0], pairs[:, 1])}


def markdown(results: list[dict], choices: list[dict] = (), orders: list[dict] = ()) -> str:
    lines = ["# The chapter's cited results, regenerated", "",
             "Test accuracy (%) at the epoch best on validation (config/expected.yaml "
             "`literature:`, nndl3.literature_check).", "",
             "| id | quantity | paper | regenerated mean (n) | seed sd | binomial sd | "
             f"tolerance | {SHIFT_HEADS} | status |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        if r["status"] == NOT_RUN:
            lines.append(f"| {r['id']} | {r['quantity']} | {r['book']} | - ({r['n']}) | - | "
                         f"- | - | - | - | - | {NOT_RUN}: {r['reason']} |")
        else:
            lines.append(f"| {r['id']} | {r['quantity']} | {r['book']} | {r['mean']:.2f} "
                         f"({r['n']}) | {r['seed_sd']:.3f} | {r['binomial_sd']:.3f} | "
                         f"± {r['tolerance']:.2f} | {shift_cells(r)} | {r['status']} |")
    return "\n".join(lines + summary_lines(results, choices, orders)) + "\n"


def summary_lines(results: list[dict], choices: list[dict] = (),
                  orders: list[dict] = ()) -> list[str]:
    """What follows the rows' table, in the check's output and docs/literature.md alike:
    the counts, what `weak` means, what more seeds would do, the choices and the orders."""
    lines = ["", counts_line(results), "", WEAK_MEANS, *more_seeds_lines(results)]
    if choices:
        lines += ["", CHOICE_HEAD, ""] + [choice_line(c) for c in choices]
    if orders:
        lines += ["", ORDER_HEAD, ""] + [order_line(o) for o in orders]
    return lines


WEAK_MEANS = ("`weak`: passes, but its detectable shift (what fails it with the gate's "
              "power) exceeds the paper's effect (its difference to the number the paper "
              "compares it with): it could not fail a network that misses that difference.")


SHIFT_HEADS = "detectable shift | with unlimited seeds | paper's effect"


def shift_cells(r: dict) -> str:
    """A made row's detectable shift, with unlimited seeds too, and the paper's effect: the
    three table cells of SHIFT_HEADS."""
    return " | ".join(number(r.get(key), ".2f")
                      for key in ("detectable_shift", "shift_unlimited", "paper_effect"))


def more_seeds_lines(results: list[dict]) -> list[str]:
    """What more seeds could make of the weak rows (`more_seeds`), and which rows not run
    can pass only as weak (`shift_at_paper`), in words; none if no row is either."""
    weak = [r for r in results if r["status"] == WEAK]
    unrun = [r for r in results if r["status"] == NOT_RUN and r.get("shift_no_spread")
             is not None and r["shift_no_spread"] > r["paper_effect"]]
    never = [r for r in weak if r["shift_no_spread"] > r["paper_effect"]]
    at_spread = [r for r in weak if r not in never and r["shift_unlimited"] > r["paper_effect"]]
    some = [r for r in weak if r["seeds_to_see"] is not None]
    beyond = [r for r in weak if r not in never + at_spread + some]

    def shifts(group, key):
        return ", ".join(f"`{r['id']}` ({r[key]:.2f} > {r['paper_effect']:.2f})"
                         for r in group)

    lines = []
    if never:
        lines.append("- weak whatever the seeds and their spread: with no seed spread and "
                     "unlimited seeds, the test set's binomial spread and the paper's "
                     "precision alone make the detectable shift exceed the paper's effect: "
                     + shifts(never, "shift_no_spread"))
    if at_spread:
        lines.append("- weak with any number of seeds at the seed spread measured (the "
                     "detectable shift with unlimited seeds): "
                     + shifts(at_spread, "shift_unlimited"))
    if some:
        lines.append("- within the paper's effect from more seeds at the seed spread "
                     "measured: " + ", ".join(f"`{r['id']}` from {r['seeds_to_see']} seeds"
                                              for r in some))
    if beyond:
        lines.append(f"- within the paper's effect only beyond {MOST_SEEDS:,} seeds at the "
                     "seed spread measured: " + ", ".join(f"`{r['id']}`" for r in beyond))
    if unrun:
        lines.append("- not run, and weak if it passes, whatever its seeds: at the paper's "
                     "number, the test set's binomial spread and the paper's precision alone "
                     "make the detectable shift exceed the paper's effect: "
                     + shifts(unrun, "shift_no_spread"))
    return ["", MORE_SEEDS_HEAD, "", *lines] if lines else []


MORE_SEEDS_HEAD = ("What more seeds could make of the weak rows, and of the rows not run "
                   "(at this code's tolerance and the gate's power; "
                   "`nndl3.literature_check.more_seeds`, `shift_at_paper`):")


def counts_line(results: list[dict]) -> str:
    counts = {s: sum(r["status"] == s for r in results) for s in (PASS, WEAK, FAIL, NOT_RUN)}
    return (f"**{counts[PASS]} passed, {counts[WEAK]} weak, {counts[FAIL]} failed, "
            f"{counts[NOT_RUN]} not run**")


CHOICE_HEAD = ("A choice varied (a `varies` row against its row, the paired t-test of the "
               "seeds' differences):")
ORDER_HEAD = ("The paper's order (an `above` row against the row the paper has below it, "
              "the paired t-test of the seeds' differences):")


def choice_line(c: dict) -> str:
    return f"- `{c['id']}` against `{c['varies']}`{comparison(c)}"


def order_line(o: dict) -> str:
    order = f": **{o['order']}**" if "order" in o else ""
    return (f"- `{o['id']}` above `{o['above']}` in the paper "
            f"({o['paper_difference']:+.2f} points); ours{comparison(o)}{order}")


def comparison(c: dict) -> str:
    """`paired`'s result in words."""
    if "reason" in c:
        return f": not compared, {c['reason']}"
    return (f", seeds {', '.join(map(str, c['seeds']))}: {c['difference']:+.2f} "
            f"points (t = {c['t']:.2f}, df {c['df']:.0f}, p = {c['p']:.3f})")


def probe_summary(records: list[dict]) -> list[dict]:
    """Where each probed run stands (a probe: a run's first epochs, never a row): per run,
    its epochs, and per seed the test accuracy (%) at the last epoch and at the epoch best
    on validation."""
    out = []
    for run in dict.fromkeys(r["run"] for r in records):
        mine = sorted((r for r in records if r["run"] == run), key=lambda r: r["seed"])
        out.append({"run": run, "epochs": len(mine[0]["test_accuracy"]),
                    "seeds": [r["seed"] for r in mine],
                    "test_last": [100 * r["test_accuracy"][-1] for r in mine],
                    "test_at_best": [100 * r["test_at_best"] for r in mine],
                    "best_epochs": [r["best_epoch"] for r in mine]})
    return out
