"""The numbers quoted in the README and docs/, generated into marked blocks.

A block is the text between

    <!-- generated: NAME -->
    <!-- end generated -->

in a Markdown file; `python -m nndl3 docs` rewrites every block from the results it is made
from (the reproduction report, the calibration, the mutants' output, the timings), and
`python -m nndl3 docs --check` (run by CI after the pipeline) fails naming every block that
differs from what is committed. The pipeline is deterministic, so results must agree to
the character. A block made from timings that the checking run takes anew (CI's pipeline
and spot checks: `made_here`) is regenerated but not compared, since machines differ; one
made from a committed benchmark record is compared like any other, so that a number
edited by hand in it, or a record committed without its block, fails. A block
whose inputs are missing (e.g. the benchmark's JSON, which CI does not make) is kept as it
is and said so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from . import atomic, bench_docs, book_runs, literature_docs, paths, readers
from .bench_docs import met
from .errors import UserError
from .status import KNOWN_DEVIATION, WEAK
from .tolerance import K_SIGMA, scale

# the job times of the calibration's and the recipe's training (their cost blocks)
CALIBRATION_TIMES = paths.BENCHMARK_DIR.format(rule="calibration")
RECIPE_TIMES = paths.BENCHMARK_DIR.format(rule="recipe")
RUN_SCHEMA = "src/nndl3/run.schema.yaml"  # the package's own file, read from the checkout
# every Markdown document of the repository: its blocks are rendered here, its links and
# paths checked by tests/test_docs.py, its commands run by tests/test_documented_commands.py
FILES = ("README.md", "docs/*.md", "figures/README.md", "book_runs/README.md",
         "benchmarks/*.md", "data/README.md", "tests/slurm/NOTES.md")
# a generated block: its start marker (naming the block) on a line, the block, its end marker
START, END = r"<!-- generated: ([\w-]+) -->", "<!-- end generated -->"
BLOCK = re.compile(rf"({START}\n)(.*?)({re.escape(END)})", re.DOTALL)
MARKER = re.compile(rf"{START}|{re.escape(END)}")  # either marker, to check they pair


@dataclass(frozen=True)
class Block:
    make: Callable[[Path], str]
    inputs: tuple[str, ...]
    # made from timings the checking run takes itself (not a committed record): regenerated,
    # never compared
    made_here: bool = False


def reproduction(root: Path) -> dict:
    return readers.require(bench_docs.load(root, paths.REPRODUCTION_JSON), (),
                           root / paths.REPRODUCTION_JSON, "reproduction report")


# ------------------------------------------------------------- the blocks


def summary(root: Path) -> str:
    """The README's reproduction summary: counts of rows, claims and curves by status (every
    status the report gives, each once)."""
    from .check import counts, weak_with_unlimited_seeds

    doc = reproduction(root)
    points = [r for r in doc["rows"] if not r.get("claim")]
    weak = sum(r["status"] == WEAK for r in points)
    never = (f"; {len(weak_with_unlimited_seeds(points))} of the {weak} stay weak with "
             "unlimited seeds, at the sd measured of the book's one draw" if weak else "")
    claims = [r for r in doc["rows"] if r.get("claim")]
    weak_claims = [r for r in claims if r["status"] == WEAK]
    known = [r for r in points if r["status"] == KNOWN_DEVIATION]
    curves = doc.get("curves", [])
    curve_known = [c for c in curves if c["status"] == KNOWN_DEVIATION]
    rate = doc["false_failure"]
    lines = [
        f"- **numbers of the text**: {len(points)} rows, **{counts(points)}**"
        + ids(known) + " (`weak`: passes, but cannot detect a shift the size of the "
        f"effect the text reports{never});",
        f"- **claims of the text** (inequalities, no book number): {len(claims)} rows, "
        f"**{counts(claims)}**" + ids(weak_claims)
        + (" (`weak`: cannot tell the claimed difference from none, or from the recipe's "
           "difference reversed)"
           if weak_claims else "") + ";",
        f"- **the book's published curves**, epoch by epoch: {len(curves)} curves, "
        f"**{counts(curves)}**" + ids(curve_known) + ";",
        f"- **the gate's false-failure rate** for a correct network on fresh seeds: "
        f"{100 * rate['rate']:.2f} % (stated: {100 * rate['stated']:g} %)"
        + unbounded(rate) + ".",
    ]
    replay = doc.get("replay_summary")
    if replay:
        lines.append(f"- **the author's {replay['files']} published runs replayed**: "
                     f"{replay['identical']} of {replay['lists']} lists identical to the "
                     "image.")
    return (f"`snakemake check` with seeds {seed_span(doc['check_seeds'])} (calibration "
            f"seeds {seed_span(doc['calibration_seeds'])}):\n\n" + "\n".join(lines) + "\n")


def unbounded(rate: dict) -> str:
    """The rows the false-failure rate counts at an alpha their seeds cannot show (they
    never differed), with the bound those seeds put on the row's own rate
    (report.zero_spread_bounds); rows without such seeds are said in the gate doc's
    block alone."""
    from .report import zero_spread_bounds

    return "".join(f"; `{r}` counts in it at its alpha, but its seeds never differed, "
                   f"which bounds its own rate only below {100 * row_rate:.1f} % "
                   "([the gate](docs/reproduction-gate.md#the-rule-derived))"
                   for r, (_, _, _, row_rate) in zero_spread_bounds(rate).items()
                   if row_rate > rate["alpha_row"])


def seed_span(seeds: list[int]) -> str:
    """1-3 for a run of consecutive seeds, else the list: 1, 5, 9."""
    seeds = sorted(seeds)
    if len(seeds) > 1 and seeds == list(range(seeds[0], seeds[-1] + 1)):
        return f"{seeds[0]}-{seeds[-1]}"
    return ", ".join(map(str, seeds))


def ids(rows: list[dict]) -> str:
    """ (`a`, `b`) for a non-empty list of rows."""
    return " (" + ", ".join(f"`{r['id']}`" for r in rows) + ")" if rows else ""


def point_table(root: Path) -> str:
    """Every point row, as the report renders it (`check.table`)."""
    from . import check

    doc = reproduction(root)
    return check.table(doc["rows"], doc["recipe_comparison"], doc["gate"]["headline"])


def curve_table(root: Path) -> str:
    """Every published curve, as the report renders it (`curves.table`), and the curves
    whose simulated 1st percentile is above the held-out one."""
    from . import curves

    rows = reproduction(root).get("curves", [])
    return curves.table(rows) + "\n" + simulated_above_held_out(rows)


def simulated_above_held_out(rows: list[dict]) -> str:
    """The curves whose simulated 1st percentile is above the held-out one, the largest
    difference first: where the span model may miss a tail the calibration seeds show."""
    both = [r for r in rows if r.get("simulated_p01") is not None
            and r.get("held_out_p01") is not None]
    above = sorted((r for r in both if r["simulated_p01"] > r["held_out_p01"]),
                   key=lambda r: r["held_out_p01"] - r["simulated_p01"])
    listed = ", ".join(f"`{r['id']}` ({r['simulated_p01']:.4f} / {r['held_out_p01']:.4f})"
                       for r in above) or "none"
    return (f"Simulated 1st percentile above the held-out one, in {len(above)} of {len(both)} "
            f"curves: {listed}.\n")


def recipe_comparison(root: Path) -> str:
    """Our network against the author's recipe, as the report renders it."""
    from . import two_sample

    doc = reproduction(root)
    text = two_sample.markdown(doc["recipe_comparison"], doc["gate"]["alpha_family"])
    return text.split("\n", 2)[2]  # the docs give the heading


def false_failure(root: Path) -> str:
    """The gate's false-failure rate, as the report states it."""
    from . import report

    return report.false_failure_markdown(reproduction(root)["false_failure"]).split("\n", 2)[2]


def headline(root: Path) -> str:
    """The headline row's distributions, as the report renders them."""
    from . import two_sample

    return two_sample.distribution_table(reproduction(root)["headline"])


def gate_seeds(root: Path) -> str:
    """The gate observed (benchmarks/gate_seeds.py's JSON): each seed triple's failures,
    and the held-out rate of the t rule and of the normal rule at one nominal rate."""
    doc = bench_docs.load(root, paths.GATE_SEEDS)
    lines = ["| check seeds | failed rows and curves | rows judged otherwise by the "
             f"{K_SIGMA:g} sd rule (then → now) |", "|---|---|---|"]
    for r in doc["triples"]["reports"]:
        seeds = ", ".join(map(str, r["seeds"] or [])) or "?"
        moved = ", ".join(f"`{c['id']}` ({c['k_sigma']} → {c['now']})" for c in r["changed"])
        lines.append(f"| {seeds} | {', '.join(f'`{f}`' for f in r['failed']) or 'none'} | "
                     f"{moved or 'none'} |")
    h = doc["triples"], doc["held_out"]
    # the record's own subset size (a record made before it kept one: the check's seeds)
    subset = f"{h[1]['subset']}-seed subset" if "subset" in h[1] else "subset, of the check's size,"
    lines += ["", f"{h[0]['failing']} of {len(h[0]['reports'])} seed triples fail at least "
              f"one row or curve. Held out (each calibration seed as the book's draw, each "
              f"{subset} of the others as our mean, the others' sd), at a nominal "
              f"{h[1]['nominal']:g} per row, over {len(h[1]['rows'])} rows: the t rule "
              f"fails {h[1]['mean']['t']:.4f} of the cases, the normal quantile at the same "
              f"nominal rate {h[1]['mean']['normal']:.4f}."]
    return "\n".join(lines) + "\n"


def known_deviations(root: Path) -> str:
    """Rows and curves reported as known deviations, with the reason config gives."""
    doc = reproduction(root)
    lines = ["| row or curve | status | why (config/expected.yaml) |", "|---|---|---|"]
    for r in doc["rows"] + doc.get("curves", []):
        if r.get("known_deviation"):
            why = " ".join(r["known_deviation"].split())
            lines.append(f"| `{r['id']}` | {r['status']} | {why} |")
    return "\n".join(lines) + "\n"


def replay_table(root: Path) -> str:
    """The published lists against their replay from the author's seed (docs/replay.md)."""
    from . import replay_check

    table, _ = replay_check.from_report(reproduction(root).get("replay", []))
    return replay_check.table_markdown(table)


# the author's two 1,000-image runs (fig/overfitting.py), one draw of his seed
ONE_DRAW = ("overfitting.json", "regularized.json")


def one_draw(root: Path) -> str:
    """On which side of our mean the book's two 1,000-image runs' test costs lie: the
    curve table's offsets of their `evaluation_cost` curves."""
    curves = {c["book_file"]: c for c in reproduction(root).get("curves", [])
              if c.get("book_file") in ONE_DRAW and c["metric"] == "evaluation_cost"}
    if set(curves) != set(ONE_DRAW) or any(c.get("offset") is None for c in curves.values()):
        return "The two 1,000-image runs' test costs are not both compared in this report.\n"
    offsets = [curves[f]["offset"] for f in ONE_DRAW]
    side = ("both on the same side of our mean" if min(offsets) * max(offsets) > 0
            else "on opposite sides of our mean")
    return ("The test-cost offsets (ours minus the book's, the curve table's) of the book's "
            "two 1,000-image runs: " + ", ".join(
                f"`{curves[f]['id']}` {curves[f]['offset']:+.3f}" for f in ONE_DRAW)
            + f": {side}.\n")


def calibration(root: Path) -> str:
    """What the installed calibration was measured on."""
    points = yaml.safe_load((root / paths.CALIBRATION_INSTALLED).read_text())
    curves = bench_docs.load(root, paths.CALIBRATION_CURVES_INSTALLED)
    seeds = points["seeds"]
    extra = {row: sorted(values) for row, values in (points.get("per_seed") or {}).items()
             if sorted(values) != sorted(seeds)}
    made = points.get("provenance") or {}
    versions = made.get("versions") or {}
    lines = [f"- calibration seeds: {seed_span(seeds)} ({len(seeds)}), for "
             f"{len(points['seed_sd'])} rows and {len(curves['curves'])} published curves;"]
    lines += [f"- `{row}`: seeds {seed_span(s)} ({len(s)}), declared by the row;"
              for row, s in extra.items()]
    lines.append(f"- made at commit `{str(made.get('git_commit'))[:12]}` with "
                 + ", ".join(f"{k} {v}" for k, v in versions.items()) + ".")
    return "\n".join(lines) + "\n"


L2_FULL_ROW = "l2_full_test_best"  # the gate's headline (a test holds the two together)


def l2_full_seeds(root: Path) -> str:
    """The per-seed best test accuracy of l2_full over its calibration seeds, and where the
    book's value lies among them."""
    row_id = L2_FULL_ROW
    points = yaml.safe_load((root / paths.CALIBRATION_INSTALLED).read_text())
    values = points["per_seed"][row_id]
    row = next(r for r in reproduction(root)["rows"] if r["id"] == row_id)
    book = row["book"]
    below = sum(v < book for v in values.values())
    ordered = ", ".join(f"{v:.2f}" for v in values.values())
    seeds = list(values)
    halves = [seeds[:len(seeds) // 2], seeds[len(seeds) // 2:]]
    sds = ", ".join(f"{h[0]}-{h[-1]} {np.std([values[s] for s in h], ddof=1):.4f}"
                    for h in halves)
    best, last, where = published_best_and_last(root, row["id"])
    return (f"Seeds {min(values)}-{max(values)}: {ordered}; sd "
            f"{points['seed_sd'][row_id]:.4f} (each half alone: {sds}). The "
            f"book's {book:g} is above {below} of the {len(values)}. The book's published "
            f"run (`{where}`): its best epoch {best:.2f} %, its last {last:.2f} %.\n")


def published_best_and_last(root: Path, row_id: str) -> tuple[float, float, str]:
    """The book's published list behind a row (its `source` run and metric): its best and
    last values in percent, and the file it is in."""
    published = book_runs.Published.from_file(root / paths.CONFIG)
    rows = yaml.safe_load((root / paths.EXPECTED).read_text())["quantities"]
    source = next(r["source"] for r in rows if r["id"] == row_id)
    curve = published_curve(root, published, source["run"], source["metric"])
    values = 100 * curve["values"]
    return float(values.max()), float(values[-1]), f"{book_runs.DIR}/{curve['file']}"


def published_curve(root: Path, published: book_runs.Published, run: str,
                    metric: str) -> dict:
    """The book's published list of `metric` of the run our `run` repeats
    (book_runs.curve), read from its file alone."""
    file, key = published.of_run(run)
    book = book_runs.read((root / book_runs.DIR / file,), published)
    return book_runs.curve(book, file, key, metric)


def mutants(root: Path) -> str:
    """The mutants' last run (paths.MUTANTS, written by tools/mutants.py)."""
    doc = bench_docs.load(root, paths.MUTANTS)
    lines = ["| mutant | what it breaks | caught by a test (as named in that run) "
             "| caught by the check |",
             "|---|---|---|---|"]
    for e in doc["mutants"]:
        # the test as that run named it, parameters included: the bare name would also
        # name the cases that did not catch it (test files move; the run is a record of its day)
        test = e["test"] or "-"
        lines.append(f"| `{e['name']}` | {e['what']} | {test} | {'yes' if e['check'] else '-'} |")
    caught = sum(e["caught"] for e in doc["mutants"])
    return ("\n".join(lines) + f"\n\n**{caught} of {len(doc['mutants'])} mutants caught.** "
            + mutants_control(doc["control"]) + "\n")


def mutants_control(control: dict) -> str:
    """What the unmutated copy failed, and so what could catch no mutant."""
    tests = control["tests_failing"]
    said = (f"The control, the unmutated copy, fails {len(tests)} unit test(s), which count "
            f"for no mutant: {', '.join(tests)}." if tests
            else "The control, the unmutated copy, passes every unit test.")
    rows = control["check_failing"]
    if rows is None:
        return said + " Run without `--experiments`: no mutant's runs were trained."
    if not rows:
        return said + " Its runs (seed 1) are within every tolerance the mutants' are checked on."
    return said + (f" Its runs (seed 1) fail {len(rows)} row(s) or curve(s), which count for no "
                   f"mutant: {'; '.join(r['text'] for r in rows)}.")


def run_defaults(root: Path) -> str:
    """docs/experiments.md's conventions: every run key's default and what it means, from
    src/nndl3/run.schema.yaml (the one place defaults live), with config/config.yaml's
    `defaults:` on top (named so), as every run starts from them."""
    schema = yaml.safe_load((root / RUN_SCHEMA).read_text())
    ours = yaml.safe_load((root / paths.CONFIG).read_text()).get("defaults") or {}
    lines = ["| key | default | meaning |", "|---|---|---|"]
    for key, entry in schema["properties"].items():
        if "default" in entry or key in ours:
            meaning = entry.get("description", "").replace("|", "/")
            value = f"`{json.dumps(ours.get(key, entry.get('default')))}`"
            if key in ours:
                value += f" ({paths.CONFIG} `defaults:`)"
            lines.append(f"| `{key}` | {value} | {meaning} |")
    return "\n".join(lines) + "\n"


def run_settings(root: Path) -> str:
    """docs/experiments.md: every run of config/config.yaml (its `runs:`) with the settings
    it changes from the defaults (the run-defaults block), as the config writes them; the
    sections' tables name the runs and the book's numbers, not their settings again."""
    return settings_table(yaml.safe_load((root / paths.CONFIG).read_text())["runs"],
                          "its settings in config/config.yaml (the rest: the defaults)")


def neuron_settings(root: Path) -> str:
    """docs/experiments.md's section 1: each single-neuron run of config/config.yaml
    (`neuron:`), as the config writes it."""
    return settings_table(yaml.safe_load((root / paths.CONFIG).read_text())["neuron"],
                          "its settings in config/config.yaml")


def settings_table(runs: dict, heading: str) -> str:
    """A table of runs, each with its keys as the config writes them (its `description`,
    prose, left out)."""
    lines = [f"| run | {heading} |", "|---|---|"]
    for name, run in runs.items():
        keys = ", ".join(f"`{key}: {flow(value)}`" for key, value in run.items()
                         if key != "description")
        lines.append(f"| `{name}` | {keys or '-'} |")
    return "\n".join(lines) + "\n"


def flow(value) -> str:
    """A config value as YAML's flow style writes it (`[a, b]`, `{k: v}`, `0.5`, `true`)."""
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10**6)
    return text.removesuffix("\n...\n").strip()  # a bare scalar ends its document


# What a figure draws, in words (figures/README.md's table); here, not in nndl3.figures, so
# that the plot jobs' code digest does not take in the run specs' code it reads.
METRIC_WORDS = {"training_cost": "training cost", "training_accuracy": "training accuracy",
                "evaluation_cost": "{set} cost", "evaluation_accuracy": "{set} accuracy"}


def describe(config: dict, name: str) -> str:
    """What figure `name` draws, in words made from its entry (figures/README.md's table):
    its series with their metric and runs, its bars, functions and marks."""
    fig = config["figures"][name]
    parts = [series_words(config, s) for s in fig.get("series", ())]
    if "epochs" in fig:
        parts.append(f"epochs {fig['epochs'][0]}-{fig['epochs'][1]}")
    parts += [f"bar {bar['label']}" for bar in fig.get("bars", ())]
    functions = fig.get("functions") or ([fig["function"]] if "function" in fig else [])
    parts += [f"the {f} function" for f in functions]
    if "replay" in fig:
        parts.append(f"{', '.join(fig['replay']['lists'])} of {fig['replay']['file']}, "
                     "published and replayed")
    parts += [f"marked: {mark.get('label') or mark['book']}" for mark in fig.get("marks") or ()]
    return "; ".join(parts)


def series_words(config: dict, series: dict) -> str:
    """`label`: the metric of its run(s), against its `x`; and the book's run if drawn."""
    from . import figures, workflow_config

    runs = figures.item_runs(series)
    evaluation = workflow_config.run_spec(config, runs[0])["evaluation"]
    metric = METRIC_WORDS[series["metric"]].format(set=evaluation)
    against = f" vs {series['x']}" if "x" in series else " per epoch"
    text = (f"{series['label']}: {metric}{against} of " + ", ".join(f"`{r}`" for r in runs))
    return text + (" and the book's published run" if series.get("book") else "")


def figures_table(root: Path) -> str:
    """figures/README.md's table: every figure of config/figures.yaml with its section, title,
    what it draws and from which files (nndl3.figures), and its experiment's target."""
    from . import check, figures, workflow_config

    config = workflow_config.load(root)
    config["figures"] = workflow_config.book_numbers(
        config, check.load_expected(root / paths.EXPECTED))
    target = {fig: name for name, listed in config["experiments"].items() for fig in listed}
    lines = ["| file | section | title | what it draws | drawn from | target |",
             "|---|---|---|---|---|---|"]
    for name, fig in config["figures"].items():
        lines.append(f"| `{name}.png` | {figures.section_of(config, fig)} | {fig['title']} | "
                     f"{describe(config, name) or '-'} | "
                     f"{figures.sources(config, name) or '-'} | `{target[name]}` |")
    return "\n".join(lines) + "\n"


def target_times(root: Path) -> str:
    """Per-target wall-time estimates (paths.TARGET_TIMES, benchmarks/target_times.py)."""
    return bench_docs.target_times_table(bench_docs.load(root, paths.TARGET_TIMES)["targets"])


def pipeline_time(root: Path) -> str:
    """The pipeline's wall time in CI (paths.PIPELINE, written by .ci/run)."""
    doc = bench_docs.load(root, paths.PIPELINE)
    commit = f", commit `{doc['commit']}`" if doc.get("commit") else ""
    return (f"`{doc['command']}`: **{doc['seconds']} s** ({doc['seconds'] / 60:.1f} min) on "
            f"{doc['date']}{commit}, {doc['jobs']} jobs.\n")


# docs/design.md's targets for the pipeline, in reference epochs (the block judges the run)
PIPELINE_TARGETS = {"reference_epochs_at_most": 80, "critical_path_at_most": 25}


def pipeline_stages(root: Path) -> str:
    """The pipeline's CPU by kind and its critical path, against the reference epoch
    (paths.PIPELINE_TIMES, benchmarks/breakdown.py --json after CI's pipeline)."""
    doc = bench_docs.load(root, paths.PIPELINE_TIMES)
    run, epoch = doc["pipeline"], doc["reference_epoch_seconds"]
    kinds = doc["cpu_seconds_by_kind"]
    total = sum(kinds.values())
    lines = [f"`{run['command']}` on {run['date']}: **{run['seconds']} s** wall, "
             f"{run['cpu_seconds']:.0f} CPU s, {doc['jobs']} jobs. The reference epoch "
             f"(`benchmarks/reference_epoch.py`, the same session): {epoch:.2f} CPU s of "
             "one thread (its only thread: about its wall time), so the "
             f"pipeline took **{doc['pipeline_in_reference_epochs']:.0f} reference epochs**."
             + reference_drift(doc), "", "| kind | CPU s | share |", "|---|---|---|"]
    lines += [f"| {kind} | {seconds:.0f} | {100 * seconds / total:.0f} % |"
              for kind, seconds in kinds.items()]
    lines.append(f"| total | {total:.0f} | 100 % |")
    for clock, key in (("wall", "critical_path"), ("CPU", "critical_path_cpu")):
        chain = " -> ".join(f"{j['job']} ({j['seconds']:.0f} s)" for j in doc[key])
        lines += ["", f"Critical path, the longest chain of job {clock} times: "
                  f"**{doc[key + '_seconds']:.0f} s = "
                  f"{doc[key + '_in_reference_epochs']:.0f} reference epochs**: {chain}."]
    lines += ["", f"The pipeline's CPU seconds are "
              f"{doc['pipeline_cpu_in_reference_epochs']:.0f} reference epochs (what a "
              "machine shared with other work does not inflate).", "", pipeline_targets(doc)]
    return "\n".join(lines) + "\n"


def reference_drift(doc: dict) -> str:
    """The reference epoch measured again after the pipeline, where it was (.ci/run): the
    machine's drift while the pipeline ran, in the ratio's own terms."""
    if "reference_epoch_seconds_after" not in doc:
        return ""
    return (f" Measured again after the pipeline: {doc['reference_epoch_seconds_after']:.2f} "
            "CPU s"
            f", by which the pipeline took {doc['pipeline_in_reference_epochs_after']:.0f}.")


def pipeline_targets(doc: dict) -> str:
    """The run against docs/design.md's targets (PIPELINE_TARGETS)."""
    goal = PIPELINE_TARGETS
    whole, most = doc["pipeline_in_reference_epochs"], goal["reference_epochs_at_most"]
    path, limit = doc["critical_path_in_reference_epochs"], goal["critical_path_at_most"]
    whole, path = round(whole), round(path)  # judged as printed
    return (f"Against the targets of [design.md](design.md#performance-targets): the pipeline "
            f"**{whole} reference epochs** (at most {most}: {met(whole, most, False)}), "
            f"its critical path **{path}** (at most {limit}: {met(path, limit, False)}).")


def backprop_claims(root: Path) -> str:
    return bench_docs.backprop_tables(bench_docs.load(root, paths.BACKPROP_CLAIMS))


def eta100_table(doc: dict) -> str:
    """Chapter 1's eta = 100 network by seed, in each dtype (benchmarks/eta100_seeds.py's
    JSON document): the row's one-digit fraction, the first and last epoch's test count with
    the digit it is the count of, how many seeds answer one digit at every epoch, and which
    runs give the book's transcript."""
    key, epochs = doc["source"]["reduce"], doc["epochs"]
    dtypes = list(doc["by_dtype"])
    by_seed = {dtype: {s["seed"]: s for s in doc["by_dtype"][dtype]["seeds"]}
               for dtype in dtypes}
    span = f"epochs {epochs[0]} … {epochs[-1]}"
    lines = ["| seed | " + " | ".join(f"{d}: one-digit fraction | {d}: {span}" for d in dtypes)
             + " |", "|---" * (1 + 2 * len(dtypes)) + "|"]
    for seed in doc["seeds"]:
        cells = []
        for dtype in dtypes:
            s = by_seed[dtype][seed]
            cells += [f"{s[key]:.2f}",
                      f"{count_cell(s, 0)} … {count_cell(s, -1)}"]
        lines.append(f"| {seed} | " + " | ".join(cells) + " |")
    n = len(doc["seeds"])
    every = [f"{sum(by_seed[d][s][key] == 1 for s in doc['seeds'])} of {n} seeds in {d}"
             for d in dtypes]
    still = [f"{sum(len(set(by_seed[d][s]['correct'])) == 1 for s in doc['seeds'])} in {d}"
             for d in dtypes]
    counts = [c for d in dtypes for s in doc["seeds"] for c in by_seed[d][s]["correct"]
              if c is not None]
    book = {int(e): c for e, c in doc["book_transcript"].items()}
    gives = [f"seed {s}'s {d} run" for d in dtypes for s in doc["seeds"]
             if transcript_matches(by_seed[d][s]["correct"], epochs, book)]
    lines += ["", f"One digit's count at every epoch (one answer for every image): "
              f"{', '.join(every)}. One count from the first epoch to the last: "
              f"{', '.join(still)}. Every seed's count, at every epoch and in both dtypes, "
              f"lies between {min(counts)} and {max(counts)} of "
              f"{sum(doc['class_counts'])}. "
              f"The book's transcript ({transcript_text(book)}) is "
              + (" and ".join(gives) if gives else "none of these runs") + "."]
    return "\n".join(lines) + "\n"


def count_cell(seed: dict, i: int) -> str:
    """An epoch's test count, with the digit(s) whose count it equals: `1009 (9)`."""
    correct, digits = seed["correct"][i], seed["digits"][i]
    if correct is None:  # a diverged seed
        return "-"
    return f"{correct}" + (f" ({', '.join(map(str, digits))})" if digits else "")


def transcript_matches(correct: list, epochs: list[int], book: dict) -> bool:
    return all(e in epochs and correct[epochs.index(e)] == c for e, c in book.items())


def transcript_text(book: dict) -> str:
    """{0: 1009, 1: 1009, 27: 982} as `1009 at epochs 0-1, 982 at 27`."""
    runs = []  # [count, first epoch, last epoch] of consecutive epochs at one count
    for e, c in sorted(book.items()):
        if runs and runs[-1][0] == c and runs[-1][2] == e - 1:
            runs[-1][2] = e
        else:
            runs.append([c, e, e])
    parts = [f"{c} at {'epochs ' if i == 0 else ''}{a}" + (f"-{b}" if b != a else "")
             for i, (c, a, b) in enumerate(runs)]
    return ", ".join(parts)


def eta100_seeds(root: Path) -> str:
    return eta100_table(bench_docs.load(root, paths.ETA100_SEEDS))


def calibration_time(root: Path) -> str:
    """What `snakemake calibrate` costs, from its jobs' benchmark files (CPU seconds do not
    depend on what else the machine ran)."""
    jobs, cpu, wall = totals(benchmarks(root / CALIBRATION_TIMES))
    return f"`snakemake calibrate`: {jobs} training jobs, " + cost_in_all(cpu, wall)


def cost_in_all(cpu: float, wall: float) -> str:
    """A set of jobs' whole cost: CPU seconds, on the estimate's cores, and wall seconds."""
    return (f"{cpu:.0f} CPU seconds in all ({bench_docs.cores_minutes(cpu)}; the jobs' own "
            f"wall times add up to {wall:.0f} s).\n")


def claims(root: Path) -> str:
    """The claim rows of config/expected.yaml: the text's statements checked as inequalities."""
    rows = [r for r in yaml.safe_load((root / paths.EXPECTED).read_text())["quantities"]
            if "claim" in r]
    lines = ["| row | § | inequality | the quantity |", "|---|---|---|---|"]
    for r in rows:
        (op, bound), = r["claim"].items()
        lines.append(f"| `{r['id']}` | {r['section']} | `{op}: {bound:g}` | {r['quantity']} |")
    return "\n".join(lines) + "\n"


def inside_count(values, epochs, band_epochs, lo, hi) -> int:
    """At how many of `epochs` the book's `values` lie within [lo, hi] (given per
    `band_epochs`)."""
    cols = [band_epochs.index(e) for e in epochs]
    lo, hi = (np.array(b, dtype=float)[cols] for b in (lo, hi))
    return int(((values >= lo) & (values <= hi)).sum())


def book_in_band(root: Path, figure: str) -> str:
    """How the book's published runs drawn on `figure` sit against the bands it draws (the
    min-max of our seeds, and of the author's recipe's seeds where config/recipe_curves.json
    is installed), and against the curve check's own band, which it does not draw."""
    published = book_runs.Published.from_file(root / paths.CONFIG)
    entry = yaml.safe_load((root / paths.FIGURES_CONFIG).read_text())["figures"][figure]
    checked = {c["id"]: c for c in reproduction(root)["curves"]}
    recipe_path = root / paths.RECIPE_CURVES_INSTALLED
    bands = json.loads(recipe_path.read_text())["bands"] if recipe_path.is_file() else {}
    inside, recipe, check = [], [], []
    for series in (s for s in entry["series"] if s.get("book")):
        curve = published_curve(root, published, series["run"], series["metric"])
        agg = bench_docs.load(root, paths.AGGREGATE.format(run=series["run"]))
        stats = agg["metrics"][series["metric"]]
        epochs = len(curve["epochs"])
        count = inside_count(curve["values"], curve["epochs"], agg["monitored_epochs"],
                             stats["min"], stats["max"])
        inside.append(f"{count} of {epochs} epochs ({series['label']})")
        band = bands.get(f"{series['run']}.{series['metric']}")
        if band:  # in the units plotted (percent for accuracies), as the figure draws it
            count = inside_count(curve["values"] * scale(series["metric"]), curve["epochs"],
                                 band["epochs"], band["min"], band["max"])
            recipe.append(f"{count} of {epochs}")
            recipe_seeds = band["n"]
        row = checked[f"{series['run']}.{series['metric']}"]
        check.append(f"{round(row['within'] * epochs)} of {epochs} ({row['status']})"
                     if "within" in row else row["status"])  # not compared, or changed
        seeds = len(agg["seeds"])
    text = (f"The shaded band is the min-max of our {seeds} seeds; the book's published runs "
            f"(dashed) lie inside it at {' and '.join(inside)}. ")
    if recipe:
        text += (f"The hatched band is the min-max of the author's own recipe over "
                 f"{recipe_seeds} seeds (config/recipe_curves.json, "
                 "[docs/replay.md](docs/replay.md)); the book lies inside it at "
                 f"{' and '.join(recipe)} epochs. ")
    return text + (f"The curve check holds each against another band, which the figure does "
                   f"not draw: our mean +- {K_SIGMA:g} * sd_e * sqrt(1 + 1/n), sd_e that "
                   "epoch's sd over the calibration seeds "
                   "([docs/curve-check.md](docs/curve-check.md)); the book lies inside it at "
                   f"{' and '.join(check)} epochs.\n")


def benchmarks(folder: Path) -> dict[tuple[str, str], dict]:
    """{(run, seed file): its benchmark row} of the seed jobs' benchmark files under folder."""
    found = {}
    for tsv in sorted(folder.glob("*/seed-*.tsv")):
        header, row = tsv.read_text().splitlines()[:2]
        found[(tsv.parent.name, tsv.stem)] = dict(zip(header.split("\t"), row.split("\t"),
                                                      strict=True))
    if not found:
        raise ValueError(f"no job's benchmark under {folder}")
    return found


def totals(rows: dict) -> tuple[int, float, float]:
    """(jobs, CPU seconds, wall seconds) of benchmark rows."""
    return (len(rows), sum(float(r["cpu_time"]) for r in rows.values()),
            sum(float(r["s"]) for r in rows.values()))


def recipe_runs(root: Path) -> str:
    """docs/replay.md: each run the check reads, with its recipe or why it has none."""
    from . import check, recipe_plan

    config = yaml.safe_load((root / paths.CONFIG).read_text())
    return recipe_plan.table(config, check.load_expected(root / paths.EXPECTED))


def recipe_time(root: Path) -> str:
    """What `snakemake recipe_seeds` costs, from its jobs' benchmark files: measured, or,
    while some seeds are not run yet, estimated from each run's measured seeds."""
    from . import calibration, check, recipe_plan

    config = yaml.safe_load((root / paths.CONFIG).read_text())
    runs = recipe_plan.recipe_runs(config, check.load_expected(root / paths.EXPECTED))
    seeds = config["recipe_seeds"]
    rows = {k: v for k, v in benchmarks(root / RECIPE_TIMES).items()
            if k[0] in runs and int(k[1].removeprefix("seed-")) in seeds}
    jobs, cpu, wall = totals(rows)
    text = (f"`snakemake recipe_seeds`: {len(runs)} runs x {len(seeds)} seeds = "
            f"{len(runs) * len(seeds)} training jobs; ")
    spot_seed = calibration.spot_seed(seeds)
    spot = {k: r for k, r in rows.items() if k[1] == f"seed-{spot_seed}"}
    if len(spot) == len(runs):  # CI's spot check re-trains exactly these
        _, spot_cpu, _ = totals(spot)
        text = (f"`snakemake recipe_check` (CI): seed {spot_seed} of each run, "
                f"{spot_cpu:.0f} CPU seconds ({bench_docs.cores_minutes(spot_cpu)}). " + text)
    if jobs == len(runs) * len(seeds):
        return text + cost_in_all(cpu, wall)
    per_run = {run: [float(r["cpu_time"]) for k, r in rows.items() if k[0] == run]
               for run in runs}
    if not all(per_run.values()):
        return text + f"{jobs} measured so far, {cpu:.0f} CPU seconds.\n"
    whole = sum(len(seeds) * float(np.mean(v)) for v in per_run.values())
    return text + (f"{jobs} measured so far ({cpu:.0f} CPU seconds); at each run's measured "
                   f"mean, all of them would take about {whole:.0f} CPU seconds "
                   f"({bench_docs.cores_minutes(whole)}).\n")


# The README's first figure, shown from a committed copy (the README is read where
# figures/ is not made); the copy is the figure as the workflow draws it, or it differs.
README_FIGURE = "weight_init_30"
IMAGES = {f"docs/img/{README_FIGURE}.png": paths.FIGURE.format(figure=README_FIGURE)}


BLOCKS = {
    "summary": Block(summary, (paths.REPRODUCTION_JSON,)),
    "point-table": Block(point_table, (paths.REPRODUCTION_JSON,)),
    "curve-table": Block(curve_table, (paths.REPRODUCTION_JSON,)),
    "recipe-comparison": Block(recipe_comparison, (paths.REPRODUCTION_JSON,)),
    "false-failure": Block(false_failure, (paths.REPRODUCTION_JSON,)),
    "headline-distributions": Block(headline, (paths.REPRODUCTION_JSON,)),
    "gate-seeds": Block(gate_seeds, (paths.GATE_SEEDS,)),
    "known-deviations": Block(known_deviations, (paths.REPRODUCTION_JSON,)),
    "replay-table": Block(replay_table, (paths.REPRODUCTION_JSON,)),
    "one-draw": Block(one_draw, (paths.REPRODUCTION_JSON,)),
    "calibration": Block(calibration, (paths.CALIBRATION_INSTALLED,
                                       paths.CALIBRATION_CURVES_INSTALLED)),
    "l2-full-seeds": Block(l2_full_seeds, (paths.CALIBRATION_INSTALLED,
                                           paths.REPRODUCTION_JSON, paths.CONFIG,
                                           paths.EXPECTED, book_runs.DIR)),
    "mutants": Block(mutants, (paths.MUTANTS,)),
    "figures-table": Block(figures_table, (paths.CONFIG, paths.FIGURES_CONFIG, paths.EXPECTED)),
    "run-defaults": Block(run_defaults, (RUN_SCHEMA, paths.CONFIG)),
    "run-settings": Block(run_settings, (paths.CONFIG,)),
    "neuron-settings": Block(neuron_settings, (paths.CONFIG,)),
    "target-times": Block(target_times, (paths.TARGET_TIMES,), made_here=True),
    "pipeline-time": Block(pipeline_time, (paths.PIPELINE,), made_here=True),
    "pipeline-stages": Block(pipeline_stages, (paths.PIPELINE_TIMES,), made_here=True),
    "calibration-time": Block(calibration_time, (CALIBRATION_TIMES,), made_here=True),
    "backprop-claims": Block(backprop_claims, (paths.BACKPROP_CLAIMS,), made_here=True),
    "eta100-seeds": Block(eta100_seeds, (paths.ETA100_SEEDS,)),
    # docs/performance.md's kernel section: benchmarks/bench.py's record
    "kernel-bench": Block(bench_docs.kernel_bench, (paths.KERNEL_BENCH,)),
    "kernel-history": Block(bench_docs.kernel_history, (paths.KERNEL_BENCH,)),
    "seeds-together": Block(bench_docs.seeds_together, (paths.KERNEL_BENCH,)),
    "replay-sensitivity": Block(bench_docs.replay_sensitivity,
                                (paths.REPLAY_SENSITIVITY,)),
    # docs/literature.md (issue 27): made by `snakemake literature` and two benchmarks
    "wide-bench": Block(literature_docs.wide_bench, (paths.WIDE_BENCH,)),
    "literature-cost": Block(literature_docs.literature_cost,
                             (paths.LITERATURE_COST, paths.LITERATURE_CONFIG)),
    "literature-rows": Block(literature_docs.literature_rows,
                             (paths.LITERATURE_JSON.format(scale=paths.LITERATURE_SCALES[0]),)),
    "literature-probe": Block(literature_docs.literature_probe,
                              (paths.LITERATURE_PROBE_JSON,)),
    "claims": Block(claims, (paths.EXPECTED,)),
    # the README's first figure: its band and the check's
    "weight-init-band": Block(lambda root: book_in_band(root, README_FIGURE),
                              (paths.REPRODUCTION_JSON, paths.RECIPE_CURVES_INSTALLED,
                               paths.AGGREGATE.format(run="init_30_large"),
                               paths.AGGREGATE.format(run="init_30_default"))),
    "recipe-runs": Block(recipe_runs, (paths.CONFIG, paths.EXPECTED)),
    "recipe-time": Block(recipe_time, (RECIPE_TIMES,), made_here=True),
}


# ------------------------------------------------------------- rewriting files


def documents(root: Path) -> list[Path]:
    """The files with generated blocks; none at all means `root` is not the checkout (a
    check of nothing would pass)."""
    found = []
    for pattern in FILES:
        found += sorted(root.glob(pattern))
    if not found:
        raise UserError(f"--root {root}: no {', '.join(FILES)} there: not this repository's "
                        "checkout")
    return found


def regenerate(text: str, root: Path, where: str, notes: list[str]) -> tuple[str, list[str]]:
    """The text with every block made anew, and the names of blocks whose non-timing
    content changed."""
    paired(text, where)
    changed = []

    def replace(m: re.Match) -> str:
        name = m[2]
        block = BLOCKS.get(name)
        if block is None:
            raise UserError(f"{where}: unknown generated block {name!r} "
                            f"(known: {', '.join(BLOCKS)})")
        missing = [i for i in block.inputs if not (root / i).exists()]
        if missing:
            notes.append(f"{where}: {name}{KEPT}{', '.join(missing)})")
            return m[0]
        try:
            new = block.make(root)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError, ZeroDivisionError,
                OSError, yaml.YAMLError) as exc:
            raise UserError(f"{where}: block {name}: {', '.join(block.inputs)} lack what it "
                            f"needs ({type(exc).__name__}: {exc}); rebuild them") from None
        if new != m[3] and not block.made_here:
            changed.append(name)
        return m[1] + new + m[4]

    return BLOCK.sub(replace, text), changed


def paired(text: str, where: str) -> None:
    """Every block's start marker followed by its end marker before the next start: a
    start left open would make its block run into the next one's, and rewriting it would
    delete what lies between."""
    open_at = None
    for m in MARKER.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        if m[1] and open_at:
            raise UserError(f"{where}: line {open_at[0]}: generated block {open_at[1]!r} has no "
                            f"`{END}` before the next block (line {line})")
        if not m[1] and not open_at:
            raise UserError(f"{where}: line {line}: `{END}` with no block opened before it")
        open_at = (line, m[1]) if m[1] else None
    if open_at:
        raise UserError(f"{where}: line {open_at[0]}: generated block {open_at[1]!r} has no "
                        f"`{END}` after it")


KEPT = ": kept (missing "  # a block left as it is, unchecked: the note names its inputs


def changed_results(root: Path) -> list[str]:
    """The results the documents render that were made with other settings than the
    committed config's (nndl3.changed): each committed run whose aggregate was trained
    otherwise (`run: what differs`), and each row or curve the report marks changed. The
    documents show the book's runs; a run of one's own (--configfile, --config) is not."""
    from . import changed, records, workflow_config
    from .status import CHANGED

    found = []
    if (root / paths.CONFIG).is_file():  # else no block reads a run's settings either
        config = workflow_config.read_committed(root / paths.CONFIG)
        book = workflow_config.book_settings(config)
        for run in config["runs"]:
            path = root / paths.AGGREGATE.format(run=run)
            spec = records.read_aggregate(path).get("spec") if path.is_file() else None
            if spec is not None and (what := changed.differences(spec, book[run])):
                found.append(f"{run}: {what}")
    if (root / paths.REPRODUCTION_JSON).is_file():
        doc = reproduction(root)
        found += [f"{r.get('id')}: changed" for key in ("rows", "curves")
                  for r in doc.get(key) or [] if r.get("status") == CHANGED]
    return found


def refuse_changed(root: Path) -> None:
    """A UserError naming the changed results (`changed_results`), if any."""
    if found := changed_results(root):
        raise UserError(f"results made with settings other than {paths.CONFIG}'s: "
                        f"{' | '.join(found[:3])}{' | ...' if len(found) > 3 else ''}; the "
                        "documents show the book's runs: rerun them with the committed config "
                        "(`snakemake --cores 2`, no --configfile or --config) first")


def run(root: Path, check: bool) -> tuple[list[str], list[str]]:
    """Regenerate (or, with check, compare) every block and figure copy: (differences,
    notes). Everything is made and read before anything is written; results of changed
    runs are refused (`refuse_changed`)."""
    refuse_changed(root)
    differences, notes, rewritten = [], [], {}
    for path in documents(root):
        where = str(path.relative_to(root))
        text = readers.text(path, "document")
        new, changed = regenerate(text, root, where, notes)
        differences += [f"{where}: block {name}" for name in changed]
        if new != text:
            rewritten[path] = new
    copies = {}
    for copy, figure in IMAGES.items():
        made = figure_copy(root, copy, figure, notes)
        if made is not None:
            copies[root / copy] = made
            differences.append(f"{copy}: not {figure} as drawn")
    if check:
        return differences, notes
    for path, new in rewritten.items():
        atomic.write_text(path, new)
        notes.append(f"{path.relative_to(root)}: rewritten")
    for path, made in copies.items():
        atomic.write_bytes(path, made)
        notes.append(f"{path.relative_to(root)}: copied from its figure")
    return differences, notes


def figure_copy(root: Path, copy: str, figure: str, notes: list[str]) -> bytes | None:
    """The figure's bytes if the document's copy of it differs from them; None if it is the
    same, or if the figure is not made (noted)."""
    if not (root / figure).is_file():
        notes.append(f"{copy}{KEPT}{figure})")
        return None
    made = (root / figure).read_bytes()
    same = (root / copy).is_file() and (root / copy).read_bytes() == made
    return None if same else made
