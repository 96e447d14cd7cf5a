# The reproduction gate: regenerated numbers vs the book (config/expected.yaml), the
# book's published curves vs ours epoch by epoch (nndl3.curves), and vs their replay from
# the author's seed (nndl3.replay_check); `report` writes the tables (part of `all`, shown
# in the HTML report), `check` prints them and fails on any row outside its tolerance.

try:
    CHECKED = nndl3_check.sources(EXPECTED, RUN_SPECS, paths.EXPECTED)
    SHORTFALL = nndl3_check.seed_shortfall(EXPECTED, RUN_SPECS)
except UserError as error:
    stop(str(error))
if SHORTFALL:
    print(f"warning: {SHORTFALL}", file=sys.stderr)
CURVE_SEEDS = nndl3_curves.seed_count_problem(
    paths.CALIBRATION_CURVES_INSTALLED, len(SEEDS)
)
if CURVE_SEEDS:
    print(f"warning: {CURVE_SEEDS}", file=sys.stderr)
CURVE_RUNS = nndl3_curves.needed_runs(PUBLISHED)
# The author's recipe over its seeds, used where installed (nndl3.tolerance, two_sample).
RECIPE = {
    role: path
    for role, path in (
        ("recipe", paths.RECIPE_INSTALLED),
        ("recipe_curves", paths.RECIPE_CURVES_INSTALLED),
    )
    if Path(path).exists()
}
REPORT_RUNS = sorted(set(CHECKED["runs"]) | set(CURVE_RUNS))


rule report:
    input:
        **RECIPE,
        expected=paths.EXPECTED,
        calibration=paths.CALIBRATION_INSTALLED,
        curve_calibration=paths.CALIBRATION_CURVES_INSTALLED,
        book=BOOK_FILES,
        data=paths.DATA,
        aggregates=expand(
            paths.AGGREGATE,
            run=REPORT_RUNS,
        ),
        records=seed_records(REPORT_RUNS),
        svm=expand(paths.SVM, n=CHECKED["svm"])
        + expand(paths.BASELINE, name=CHECKED["baselines"]),
        neuron=expand(paths.NEURON, neuron=CHECKED["neuron"]),
        replay=expand(paths.REPLAY, file=REPLAY),
    output:
        md=paths.REPRODUCTION_MD,
        json=paths.REPRODUCTION_JSON,
        html=report(
            paths.REPRODUCTION_HTML,
            caption="../report/reproduction.rst",
            category="Reproduction",
        ),
    log:
        "logs/report.log",
    benchmark:
        benchmark_file("report", "report")
    params:
        published=published_json,
        recipe=" ".join(f"--{r.replace('_', '-')} {p}" for r, p in RECIPE.items()),
        book_settings=lambda wildcards: book_settings_json(
            REPORT_RUNS + [nndl3_changed.neuron_key(n) for n in CHECKED["neuron"]]
        ),
        seeds=SEEDS,  # with records=: a seed added retrains the runs (seed_records)
        code=code("report"),
    shell:
        "python -m nndl3 report --expected {input.expected}"
        " --calibration {input.calibration} --aggregates {input.aggregates}"
        " --records {input.records}"
        " --svm {input.svm} --neuron {input.neuron} --book {input.book}"
        " --curve-calibration {input.curve_calibration} --labels {input.data}"
        " --replay {input.replay} --published {params.published:q} {params.recipe}"
        " --book-settings {params.book_settings:q}"
        " --out-md {output.md} --out-json {output.json} --out-html {output.html}"
        " > {log} 2>&1"


rule check:
    input:
        report=paths.REPRODUCTION_JSON,
        table=paths.REPRODUCTION_MD,
    log:
        "logs/check.log",
    shell:
        "python -m nndl3 check --report {input.report} --table {input.table} 2>&1 | tee {log}"
