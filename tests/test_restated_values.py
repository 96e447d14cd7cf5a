"""Values the documentation restates from the code, the config or the book's files, each
held to its source: a change of the source that leaves its sentence behind fails here.
(Values a document only shows are generated blocks, `python -m nndl3 docs`.)"""

import json
import re
from pathlib import Path

import yaml

from nndl3.docs import documents

ROOT = Path(__file__).resolve().parents[1]
DOCS = documents(ROOT)


def prose(path: str) -> str:
    """A document with its line breaks and runs of spaces as one space."""
    return " ".join((ROOT / path).read_text().split())


def config(name: str) -> dict:
    return yaml.safe_load((ROOT / "config" / name).read_text())


def test_the_gate_doc_states_the_configured_rate_and_margin():
    """docs/reproduction-gate.md explains two values of config/expected.yaml, and so
    restates them: the gate's family false-failure rate and the early-stopping margin."""
    expected = config("expected.yaml")
    gate = prose("docs/reproduction-gate.md")
    rate = f"{100 * expected['gate']['family_false_failure']:g} %"
    assert f"Why {rate}:" in gate and f"at {rate} a correct network fails" in gate
    k = next(q["claim"]["at_least_sds"] for q in expected["quantities"]
             if q["id"] == "early_stopping_best")
    assert f"`claim: {{at_least_sds: {k}}}`: {-k} times the seed sd" in gate
    assert f"The factor {-k}, not 1," in gate


def test_the_design_doc_states_the_ci_target_that_ci_judges():
    limit = re.search(r"^CI_MINUTES_AT_MOST=(\d+)", (ROOT / ".ci" / "run").read_text(), re.M)
    design = prose("docs/design.md")
    assert f"CI at most {limit.group(1)} minutes." in design


def test_the_schedules_floor_is_stated_as_the_code_has_it():
    """The schedule stops at train.SCHEDULE_FLOOR of eta's start; the docs and the schema's
    description say it in words ("stop at eta/128", "to 1/128 of its start")."""
    from nndl3.train import SCHEDULE_FLOOR

    texts = [p.read_text() for p in DOCS]
    texts.append((ROOT / "src" / "nndl3" / "run.schema.yaml").read_text())
    stated = [int(k) for t in texts
              for k in re.findall(r"(?:stop at eta/|to 1/)(\d+)", " ".join(t.split()))]
    assert len(stated) >= 3 and set(stated) == {round(1 / SCHEDULE_FLOOR)}, stated


def test_the_effective_seeds_of_a_best_of_row_are_stated_as_computed():
    """reproduction-gate.md's Kish numbers, for the calibration's and the recipe's seeds."""
    from nndl3.stats import best_of_effective_seeds

    (k,) = {q["best_of"] for q in config("expected.yaml")["quantities"] if "best_of" in q}
    ours = len(config("config.yaml")["calibration_seeds"])
    recipe = len(config("recipe.yaml")["seeds"])
    assert (f"(Kish; {best_of_effective_seeds(ours, k):.2f} of {ours} seeds, "
            f"{best_of_effective_seeds(recipe, k):.1f} of {recipe}, for k = {k})"
            in prose("docs/reproduction-gate.md"))


def test_the_tuned_svms_search_is_stated_as_configured():
    tuned = config("config.yaml")["tuned_svm"]
    assert (f"a grid of {len(tuned['grid'])}, each fitted on the first "
            f"{tuned['search_size']:,} images in a job of its own, the search counting the "
            f"candidates in order until they have used {tuned['budget_cpu_seconds']} CPU "
            "seconds" in prose("docs/experiments.md"))


def test_the_svm_fits_digit_kernels_are_stated_for_the_configured_parts():
    import numpy as np

    from nndl3 import svm

    parts = config("config.yaml")["svm_parts"]
    pairs = svm.class_pairs(np.arange(10))
    kernels = sum(len({c for pair in svm.part_of(pairs, part, parts) for c in pair})
                  for part in range(parts))
    assert (f"(`svm.partition`: {kernels} in {parts} jobs, not {len(pairs)})"
            in prose("docs/performance.md"))


def test_the_replays_cost_tolerance_and_length_are_stated_as_the_code_and_book_have_them():
    from nndl3.replay_check import COST_TOLERANCE

    stated = [t for doc in DOCS for t in re.findall(r"(?:within|to) (\de-\d+)",
                                                    " ".join(doc.read_text().split()))]
    assert len(stated) >= 3 and {float(t) for t in stated} == {COST_TOLERANCE}, stated
    epochs = {len(values) for values in json.loads((ROOT / "book_runs" / "regularized.json")
                                                   .read_text())}
    (n,) = epochs
    assert f"reproduce it to {stated[0]} at all {n} epochs" in prose("docs/replay.md")


def test_the_curve_checks_n_is_the_number_of_the_configured_seeds():
    """The curve check's thresholds are simulated for curves.N_CHECK seeds of ours
    (docs/curve-check.md: 'the number of the committed `seeds`')."""
    from nndl3 import curves

    assert curves.N_CHECK == len(config("config.yaml")["seeds"])
    assert "n = `curves.N_CHECK` (the number of the committed `seeds`)" in prose(
        "docs/curve-check.md")


def test_the_former_rule_is_stated_with_the_codes_k_sigma():
    """The k-sigma rule the t rule replaced is tolerance.K_SIGMA (the check still prints it
    beside each row); the gate's document names it by its value."""
    from nndl3.tolerance import K_SIGMA

    gate = prose("docs/reproduction-gate.md")
    stated = re.findall(r"former (\d+)|(\d+) sd rule", gate)
    assert len(stated) >= 3 and {a or b for a, b in stated} == {f"{K_SIGMA:g}"}, stated


def book_values() -> dict:
    """{row id: the book's number} of config/expected.yaml's rows."""
    return {q["id"]: q["book"] for q in config("expected.yaml")["quantities"] if "book" in q}


def test_the_book_numbers_the_experiments_doc_quotes_are_the_checks():
    """Every published number (two decimals, %) in a table of docs/experiments.md is the
    book's number of a row of config/expected.yaml: quoted, not retyped otherwise."""
    text = re.sub(r"<!-- generated: .*?<!-- end generated -->", "",
                  (ROOT / "docs" / "experiments.md").read_text(), flags=re.S)
    quoted = [float(n) for line in text.splitlines() if line.startswith("| `")
              for n in re.findall(r"(\d+\.\d\d) %", line)]
    assert len(quoted) >= 10 and set(quoted) <= set(book_values().values()), quoted


def test_the_book_numbers_the_curve_check_doc_quotes_are_the_rows():
    """docs/curve-check.md's notes on rows quote their book numbers: `**row** (text: B)`,
    `**row** (B)`, `(B, checked by `row`)`, and the init_100 rows' four in their order."""
    text = prose("docs/curve-check.md")
    book = book_values()
    quoted = (re.findall(r"\*\*(\w+)\*\* \((?:text: )?(\d+\.\d+)", text)
              + [(r, b) for b, r in re.findall(r"\((\d+\.\d+), checked by `(\w+)`\)", text)])
    assert len(quoted) >= 3 and all(book[r] == float(b) for r, b in quoted), quoted
    four = [book[f"init_100_{init}_{when}"] for when in ("first", "final")
            for init in ("large", "default")]
    assert f"**init_100_***: likewise ({', '.join(f'{b:.2f}' for b in four)})" in text


def test_the_download_folder_is_stated_as_paths_has_it():
    from nndl3.paths import DOWNLOADS

    assert f"downloaded into `{DOWNLOADS}/`" in prose("README.md")
    assert f"- `{DOWNLOADS.removeprefix('data/')}/`: the four IDX files, only when they were " \
           "downloaded" in prose("data/README.md")
