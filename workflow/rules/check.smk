# The reproduction gate: regenerated numbers vs the book (config/expected.yaml), the
# book's published curves vs ours epoch by epoch (nndl3.curves), and vs their replay from
# the author's seed (nndl3.replay_check); `report` writes the tables (part of `all`, shown
# in the HTML report), `check` prints them and fails on any row outside its tolerance.

try:
    CHECKED = nndl3_check.sources("config/expected.yaml")
except UserError as error:
    raise ValueError(str(error)) from None
CURVE_RUNS = nndl3_curves.needed_runs(PUBLISHED)
# The author's recipe over its seeds, used where installed (nndl3.tolerance, two_sample).
RECIPE = {
    role: path
    for role, path in (
        ("recipe", "config/recipe.yaml"),
        ("recipe_curves", "config/recipe_curves.json"),
    )
    if Path(path).exists()
}
REPORT_RUNS = sorted(set(CHECKED["runs"]) | set(CURVE_RUNS))


rule report:
    input:
        **RECIPE,
        expected="config/expected.yaml",
        calibration="config/calibration.yaml",
        curve_calibration="config/calibration_curves.json",
        book=BOOK_FILES,
        data="data/mnist.npz",
        aggregates=expand(
            "results/aggregates/{run}.json",
            run=REPORT_RUNS,
        ),
        svm=expand("results/svm/{n}.json", n=CHECKED["svm"])
        + expand("results/baselines/{name}.json", name=CHECKED["baselines"]),
        neuron=expand("results/neuron/{neuron}.json", neuron=CHECKED["neuron"]),
        replay=expand("results/replay/{file}", file=REPLAY),
    output:
        md="results/reproduction.md",
        json="results/reproduction.json",
        html=report(
            "results/reproduction.html",
            caption="../report/reproduction.rst",
            category="Reproduction",
        ),
    log:
        "logs/report.log",
    params:
        published=published_json,
        recipe=" ".join(f"--{r.replace('_', '-')} {p}" for r, p in RECIPE.items()),
        book_settings=lambda wildcards: book_settings_json(REPORT_RUNS),
    shell:
        "python -m nndl3 report --expected {input.expected}"
        " --calibration {input.calibration} --aggregates {input.aggregates}"
        " --svm {input.svm} --neuron {input.neuron} --book {input.book}"
        " --curve-calibration {input.curve_calibration} --labels {input.data}"
        " --replay {input.replay} --published {params.published:q} {params.recipe}"
        " --book-settings {params.book_settings:q}"
        " --out-md {output.md} --out-json {output.json} --out-html {output.html}"
        " > {log} 2>&1"


rule check:
    input:
        report="results/reproduction.json",
        table="results/reproduction.md",
    log:
        "logs/check.log",
    shell:
        "python -m nndl3 check --report {input.report} --table {input.table} 2>&1 | tee {log}"
