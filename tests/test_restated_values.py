"""Values the documentation restates from the code, the config or the book's files, each
held to its source: a change of the source that leaves its sentence behind fails here.
(Values a document only shows are generated blocks, `python -m nndl3 docs`.)"""

import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from nndl3.docs import documents

ROOT = Path(__file__).resolve().parents[1]
DOCS = documents(ROOT)


def prose(path: str) -> str:
    """A document with its line breaks and runs of spaces as one space."""
    return " ".join((ROOT / path).read_text().split())


def config(name: str) -> dict:
    return yaml.safe_load((ROOT / "config" / name).read_text())


def word(n: int) -> str:
    """A small count as the documents write it in words."""
    return ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
            "fourteen fifteen sixteen").split()[n]


def share(n: int) -> str:
    """1/n as the documents write it in words."""
    return {2: "half", 3: "a third", 4: "a quarter"}[n]


def test_the_gate_doc_states_the_configured_rate_and_margin():
    """docs/reproduction-gate.md explains two values of config/expected.yaml, and so
    restates them: the gate's family false-failure rate and the early-stopping margin."""
    expected = config("expected.yaml")
    gate = prose("docs/reproduction-gate.md")
    rate = f"{100 * expected['gate']['family_false_failure']:g} %"
    assert f"Why {rate}:" in gate and f"at {rate} a correct network fails" in gate
    one_in = round(1 / expected["gate"]["family_false_failure"])
    in_words = {100: "a hundred", 1000: "a thousand"}[one_in]
    assert f"fails about one reader's rerun in {in_words}," in gate
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
    description, the configs' comments and the figures' captions say it in words ("stop at
    eta/128", "until eta is 1/128 of its start")."""
    from nndl3.train import SCHEDULE_FLOOR

    texts = [p.read_text() for p in DOCS]
    texts += [(ROOT / f).read_text() for f in ("src/nndl3/run.schema.yaml",
                                               "config/config.yaml", "config/figures.yaml")]
    stated = [int(k) for t in texts
              for k in re.findall(r"(?:stop at eta/|to 1/|is 1/)(\d+)", " ".join(t.split()))]
    assert len(stated) >= 5 and set(stated) == {round(1 / SCHEDULE_FLOOR)}, stated


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


def test_the_design_doc_names_the_schemas_the_config_schema_refers_to():
    """Both of design.md's lists of the package's schemas that the config's schema refers
    to are the files its $refs name."""
    refs = set(re.findall(r"src/nndl3/(\w+)\.schema\.yaml",
                          (ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text()))
    named = {"run": "run", "replay": "replay", "tuned_svm": "tuned SVM", "neuron": "neuron"}
    lists = re.findall(r"refers to the (?:package's )?([\w ,]+?) schemas", prose("docs/design.md"))
    assert len(lists) == 2, lists
    for stated in lists:
        assert set(re.split(r", | and ", stated)) == {named[r] for r in refs}, stated


def test_the_gate_doc_counts_our_seeds_as_configured():
    """reproduction-gate.md speaks of our mean as one of len(seeds) seeds in three places."""
    n = len(config("config.yaml")["seeds"])
    gate = prose("docs/reproduction-gate.md")
    assert f"a mean of {n} that holds one is pulled {share(n)} of the stuck seed's" in gate
    assert f"takes every {n}-seed subset of the others" in gate
    (letters,) = re.findall(r"`seeds: \[([a-z, ]+)\]`", gate)
    assert len(letters.split(", ")) == n


def test_the_experiments_doc_quotes_the_overfitting_rows_book_numbers():
    """Section 3 and 4's table cells quote rows whose numbers have no two decimals."""
    book = book_values()
    text = prose("docs/experiments.md")
    upper = {q["id"]: q["book"] + q["book_precision"]
             for q in config("expected.yaml")["quantities"] if "book" in q}
    for phrase, row, *bound in [("stops improving around epoch {}", "overfit_test_plateau_epoch"),
                        ("test cost lowest around epoch {}", "overfit_test_cost_lowest_epoch"),
                        ("training accuracy {} %", "overfit_training_best"),
                        ("gap {} points", "overfit_gap"),
                        ("train/test gap under {} point", "l2_full_gap", "bound"),
                        ("a gap quoted as {} points", "full_gap"),
                        ("test accuracy rises for all 400 epochs, to {} %", "l2_1k_test_best")]:
        number = upper[row] if bound else book[row]  # "under": the book's bound
        assert phrase.format(f"{number:g}") in text, (phrase, row)


def test_the_training_size_table_rounds_the_books_numbers():
    """docs/experiments.md's `size_N` table: the book's figure, rounded, for the network
    (row size_N) and the SVM (row svm_N)."""
    book = book_values()
    rows = re.findall(r"^\| `size_(\d+)` \| ~(\d+) % \| ~(\d+) % \|$",
                      (ROOT / "docs" / "experiments.md").read_text(), re.M)
    assert len(rows) == len(config("config.yaml")["svm_sizes"]), rows
    for n, network, svm in rows:
        assert (int(network), int(svm)) == (round(book[f"size_{n}"]), round(book[f"svm_{n}"]))


def test_the_literature_doc_quotes_the_papers_numbers_of_its_rows():
    book = {q["id"]: q["book"] for q in config("expected.yaml")["literature"]}
    text = prose("docs/literature.md")
    assert (f"cross-entropy cost, {book['simard_plain_test']:g} % on MNIST's test set, "
            f"{book['simard_affine_test']:g} % with affine distortions of the training images, "
            f"{book['simard_elastic_test']:g} % with elastic distortions") in text
    assert f"to {book['dropout_maxnorm_test']:g} % with dropout" in text


def test_the_literature_doc_counts_the_choices_with_a_run_of_their_own():
    varies = [q for q in config("expected.yaml")["literature"] if "varies" in q]
    count = word(len(varies)).capitalize()
    assert f"{count} of them have a run of their own that varies them" in prose(
        "docs/literature.md")


def test_the_readme_momentum_example_keeps_the_runs_effective_rate():
    """'eta halved so that eta / (1 - mu) stays' the run's configured eta."""
    from nndl3 import workflow_config

    readme = (ROOT / "README.md").read_text()
    (example,) = re.findall(r"cat > mine\.yaml <<'YAML'\n(.*?)YAML\n", readme, re.S)
    changed = yaml.safe_load(example)["runs"]["overfit_1k"]
    base = workflow_config.run_spec(workflow_config.load(ROOT), "overfit_1k")["eta"]
    assert changed["eta"] / (1 - changed["momentum"]) == base
    assert f"eta / (1 - mu) stays {base:g}" in prose("README.md")


def test_the_default_profile_does_what_the_docs_say():
    """README and design.md restate profiles/default's settings."""
    profile = yaml.safe_load((ROOT / "profiles" / "default" / "config.yaml").read_text())
    assert profile["cores"] == "all" and profile["show-failed-logs"] is True
    assert profile["rerun-incomplete"] is True
    assert "`profiles/default` sets `rerun-incomplete`" in prose("README.md")
    assert ("default/ (always read: every core unless --cores, failed logs shown, incomplete "
            "jobs rerun)") in prose("docs/design.md")


def test_the_performance_doc_lists_the_benchmark_modules_bench_runs():
    source = (ROOT / "benchmarks" / "bench.py").read_text()
    imported = {m for m in re.findall(r"^\s*import (\w+)$", source, re.M)
                if (ROOT / "benchmarks" / f"{m}.py").exists()} - {"common"}
    text = prose("docs/performance.md")
    listed = text[text.index("Each of its jobs is a module"):text.index("runs them in turn")]
    assert set(re.findall(r"`(\w+)\.py`", listed)) - {"common", "bench"} == imported


def test_the_experiments_doc_example_of_a_best_epoch_is_the_published_runs():
    """'96.49 % is the best epoch of the regularized full run, not its last'."""
    from nndl3.book_runs import LISTS

    accuracy = json.loads((ROOT / "book_runs" / "regularized_full.json").read_text())[
        LISTS.index("evaluation_accuracy")]
    best, last = max(accuracy) / 100, accuracy[-1] / 100
    assert best != last
    assert f"{best:.2f} % is the best epoch of the regularized full run, not its last" in \
        prose("docs/experiments.md")


def test_the_performance_doc_counts_the_svm_fits_as_configured():
    fits = {1: "one", 9: "nine"}.get(len(config("config.yaml")["svm_sizes"]))
    text = prose("docs/performance.md")
    assert f"rows compare the {fits} fits" in text and f"compares its {fits} accuracies" in text


def test_the_literature_doc_names_every_literature_figure():
    """The README sends readers there for the literature's figures (figures/README.md
    lists chapters 1 to 3's)."""
    configured = {f"literature_{name}" for name in config("literature.yaml")["figures"]}
    named = set(re.findall(r"figures/(literature_\w+)\.png", prose("docs/literature.md")))
    assert named == configured
    assert "the literature's figures are listed in [docs/literature.md](docs/literature.md)" \
        in prose("README.md")


def test_the_literature_doc_states_the_seeds_a_row_needs():
    from nndl3.literature_check import MIN_SEEDS

    assert f"`nndl3.literature_check.MIN_SEEDS` ({MIN_SEEDS}) is `not run`" in prose(
        "docs/literature.md")


def test_the_readme_names_the_mnist_files_the_loader_reads():
    from nndl3.mnist import FILES

    names = ", ".join(f"`{f.name}`" for f in FILES.values())
    assert f"The four IDX files ({names})" in prose("README.md")


# A setting a figure's caption or a line's label states, as it reads in them.
STATED_SETTINGS = {"eta": r"\beta = (\d+(?:\.\d+)?)", "lmbda": r"\blambda = (\d+(?:\.\d+)?)",
                   "momentum": r"\bmu = (\d+(?:\.\d+)?)", "mini_batch": r"\bmini-batch (\d+)",
                   "epochs": r"\b(\d+) epochs"}


def stated(text: str) -> list[tuple[str, float]]:
    text = " ".join(str(text).split())
    return [(key, float(value)) for key, pattern in STATED_SETTINGS.items()
            for value in re.findall(pattern, text)]


def test_the_figures_captions_and_labels_state_their_runs_settings():
    """A title or caption's eta, lambda, mu, mini-batch or epochs is the setting of one of
    the runs its figure draws, and a line's label, like a run's description, states its own
    run's: an edit of a run in config/config.yaml that leaves the words behind fails here."""
    from nndl3 import figures, workflow_config

    merged = workflow_config.load(ROOT)
    specs = workflow_config.check(merged)
    checked = 0
    for name, fig in merged["figures"].items():
        runs = [run for run in figures.figure_runs(fig) if run in specs]
        for key, value in stated(f"{fig.get('title', '')} {fig.get('note', '')}"):
            assert any(float(specs[run][key]) == value for run in runs), (name, key, value)
            checked += 1
        for series in fig.get("series", ()):
            for key, value in stated(series.get("label", "")) if "run" in series else ():
                assert float(specs[series["run"]][key]) == value, (name, series, key)
                checked += 1
    for run, entry in merged["runs"].items():
        for key, value in stated(entry.get("description", "")):
            assert float(specs[run][key]) == value, (run, key, value)
            checked += 1
    assert checked >= 70, checked  # the captions, labels and descriptions state this many


# Numbers the figures mark as the text's that no row checks, each with why: the text's
# "about 10 %" for guessing, its tuned SVM (ours is tuned otherwise: a bar of its own), and
# its round words for the weight_init runs ("under 87 %", "almost 93 %", "~90 %", "a little
# above 96 %": those rows check the published runs' own numbers).
UNCHECKED_MARKS = {10, 98.5, 87, 90, 93, 96}


def test_the_figures_name_the_book_s_numbers_by_their_rows_and_transcripts():
    """config/figures.yaml's marks and bars take the text's numbers from config/expected.yaml
    by row (or transcript), so that each is written once: a number written as a number is
    one no row holds, named above; every printed transcript is marked; and a mark's label
    says its own number (after figures.book_numbers, as the workflow draws it)."""
    from nndl3 import check, figures, workflow_config

    expected = check.load_expected(ROOT / "config" / "expected.yaml")
    written, transcripts = [], []
    for fig in config("figures.yaml")["figures"].values():
        for mark in fig.get("marks") or ():
            written += [v for v in figures.mark_values(mark)
                        if v is not None and not figures.is_named(v)]
            if figures.is_named(mark.get("points")):
                transcripts.append(mark["points"]["transcript"])
        written += [b["book"] for b in fig.get("bars", ())
                    if "book" in b and not figures.is_named(b["book"])]
    assert written and set(written) <= UNCHECKED_MARKS, set(written) - UNCHECKED_MARKS
    assert sorted(transcripts) == sorted(expected["transcripts"])
    drawn = workflow_config.book_numbers(workflow_config.load(ROOT), expected)
    for fig in drawn.values():
        for m in fig.get("marks") or ():
            assert figures.BOOK not in m.get("label", ""), m
            said = re.findall(r"(\d+(?:\.\d+)?) %", m.get("label", ""))
            assert "y" not in m or not said or float(said[-1]) == m["y"], m
            epoch = re.findall(r"epoch (\d+)", m.get("label", ""))
            assert "x" not in m or not epoch or int(epoch[-1]) == m["x"], m


def test_the_experiments_doc_quotes_the_transcripts_as_the_text_prints_them():
    """docs/experiments.md's chapter 1 table quotes each transcript's counts in its order (a
    count repeated over consecutive epochs once: "1009 (epochs 0-3)")."""
    import itertools

    text = (ROOT / "docs" / "experiments.md").read_text()
    for run, counts in config("expected.yaml")["transcripts"].items():
        (line,) = [x for x in text.splitlines() if x.startswith(f"| `{run}` |")
                   and str(counts[0]) in x]  # its row of the chapter 1 table
        quoted = [int(n) for n in re.findall(r"\b(\d{3,4})\b(?! %)", line.split("|")[3])]
        printed = [c for c, _ in itertools.groupby(counts[e] for e in sorted(counts))]
        assert quoted == printed, (run, quoted)


def test_the_experiments_doc_quotes_the_baselines_counts_as_the_rows_have_them():
    """The baselines table's "N of 10,000" are the book numbers of the rows that check them."""
    text = (ROOT / "docs" / "experiments.md").read_text()
    quoted = {int(n.replace(",", "")) for n in re.findall(r"([\d,]+) of 10,000, exact", text)}
    book = book_values()
    assert quoted == {round(100 * book[r]) for r in ("ch1_darkness", "ch1_svm_test")}


def test_every_schema_bound_on_training_images_is_the_training_sets_size():
    """A JSON schema cannot name a Python constant, so the schemas restate mnist.N_TRAIN
    as the maximum of every key that counts training images."""
    from nndl3.mnist import N_TRAIN

    counting = {"train_size", "search_size", "svm_sizes"}
    found = []

    def walk(node, where):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in counting and isinstance(value, dict):
                    found.append((where + key, value.get("maximum",
                                                        value.get("items", {}).get("maximum"))))
                walk(value, f"{where}{key}.")
        elif isinstance(node, list):
            for item in node:
                walk(item, where)

    files = [*(ROOT / "src" / "nndl3").glob("*.schema.yaml"),
             ROOT / "workflow" / "schemas" / "config.schema.yaml"]
    for path in files:
        walk(yaml.safe_load(path.read_text()), f"{path.name}: ")
    assert found and all(bound == N_TRAIN for _, bound in found), found


def test_the_book_numbers_quoted_in_prose_are_the_rows():
    """Book numbers quoted outside a table: the neuron's outputs, chapter 3 against
    chapter 1, the paper's affine number and the l2_full heading, each a row's `book`."""
    book = book_values()
    paper = {q["id"]: q["book"] for q in config("expected.yaml")["literature"]}
    experiments = prose("docs/experiments.md")
    epochs = config("config.yaml")["neuron"]["quadratic_good"]["epochs"]
    assert (f"| `quadratic_good` | output {book['neuron_quadratic_good_start']:.2f} at the "
            f"start, {book['neuron_quadratic_good_end']:.2f} after {epochs} epochs |") \
        in experiments
    assert (f"| `quadratic_bad` | output {book['neuron_quadratic_bad_start']:.2f} at the "
            "start;") in experiments
    assert (f'("{book["xent_30_test_best"]:.2f} %, close to the {book["ch1_30_peak"]:.2f} % '
            f'chapter 1 got with the quadratic cost"; "{book["xent_100_test_best"]:.2f} % '
            f'against {book["ch1_100_best"]:.2f} %') in experiments
    assert f"held to the paper's {paper['simard_affine_test']:g} as ours is" in \
        prose("docs/literature.md")
    assert f"## l2_full: where the book's {book['l2_full_test_best']:.2f} % lies" in \
        (ROOT / "docs" / "curve-check.md").read_text()


def test_the_performance_doc_names_the_configured_size_of_the_split_svm_fits():
    """'the two 50,000-image fits': chapter 1's default SVM on svm_test_size images, the
    tuned SVM's final fit on every training image; another svm_test_size needs other words."""
    from nndl3 import mnist

    size = config("config.yaml")["svm_test_size"]
    assert size == mnist.N_TRAIN
    assert f"the two {size:,}-image fits, chapter 1's default SVM (`svm_test_size`)" in \
        prose("docs/performance.md")


def test_the_replay_is_from_the_authors_seed_as_replay_md_says():
    """config `replay.seed` is the seed of the author's figure scripts (replay_random.SEED),
    which docs/replay.md names."""
    from nndl3 import replay_random

    assert config("config.yaml")["replay"]["seed"] == replay_random.SEED
    assert f"with {replay_random.SEED} before anything else" in prose("docs/replay.md")


def test_every_replay_deviation_names_the_cause_replay_md_says_they_share():
    cause = "float rounding amplified by training"
    deviations = config("expected.yaml")["replay_deviations"]
    assert deviations and all(text.startswith(cause) for text in deviations.values())
    assert "each names the same cause: floating-point rounding amplified by training" in prose(
        "docs/replay.md")


def test_each_replay_deviation_s_measurements_are_the_sensitivity_record_s():
    """config/expected.yaml's replay_deviations quote the sensitivity record
    (results/replay_sensitivity.json): the replay with every initial weight moved by one
    ulp leaves the replay as early as the replay leaves the book (within an epoch), by
    about as much (within a factor of 3); at eta = 2.5 it differs after epoch 0, and the
    two runs before it are replayed identically."""
    record = json.loads((ROOT / "results" / "replay_sensitivity.json").read_text())
    deviations = config("expected.yaml")["replay_deviations"]
    by_id = {}
    for entry in record["files"].values():
        replayed = entry["engines"][record["nudged_engine"]]["lists"]
        nudged = {x["id"]: x for x in entry["nudged"]}
        by_id.update({x["id"]: (x, nudged[x["id"]]) for x in replayed})
    for key, text in deviations.items():
        assert "one ulp" in text and "the sensitivity record" in text, key
        lists = [pair for i, pair in by_id.items() if i == key or i.startswith(key + ".")]
        left = [(r, n) for r, n in lists if r["first_divergent_epoch"] is not None]
        assert left, f"{key}: the record has no list of it that leaves the book"
        for replay, nudged in left:
            assert nudged["first_divergent_epoch"] is not None, replay["id"]
            assert nudged["first_divergent_epoch"] <= replay["first_divergent_epoch"] + 1
            if replay["max_cost_diff"]:  # the costs: at about the same epoch, both ways
                assert abs(nudged["first_divergent_epoch"]
                           - replay["first_divergent_epoch"]) <= 1, replay["id"]
                ratio = nudged["max_cost_diff"] / replay["max_cost_diff"]
                assert 1 / 3 <= ratio <= 3, (replay["id"], ratio)
    eta = "multiple_eta.json"
    assert by_id[f"{eta}.2.training_cost"][1]["first_divergent_epoch"] == 0
    assert [by_id[f"{eta}.{i}.training_cost"][0]["first_divergent_epoch"] for i in (0, 1)] \
        == [None, None]


def test_the_high_l2_1k_test_cost_is_a_curve_deviation_and_not_the_replays():
    """curve-check.md and replay.md: `l2_1k.evaluation_cost` is a known deviation of the
    curves, and regularized.json's replay is held exactly (no replay deviation of it)."""
    expected = config("expected.yaml")
    assert "l2_1k.evaluation_cost" in expected["curve_deviations"]
    assert not [k for k in expected["replay_deviations"]
                if k == "regularized.json" or k.startswith("regularized.json.")]
    for doc in ("docs/curve-check.md", "docs/replay.md"):
        assert "`l2_1k.evaluation_cost`, listed as a known deviation" in prose(doc)


def test_momentum_and_relu_have_no_claim_row():
    """reproduction-gate.md: "Momentum and ReLU have no claim row"."""
    runs = config("config.yaml")["runs"]
    named = {name for name in runs if name.startswith(("momentum", "relu"))}
    assert named  # the runs the sentence is about exist
    from nndl3.check import runs_of

    claimed = {run for q in config("expected.yaml")["quantities"] if q.get("claim")
               for run in runs_of(q["source"])}
    assert not named & claimed
    assert "Momentum and ReLU have no claim row" in prose("docs/reproduction-gate.md")


def test_the_book_s_svm_is_stated_as_svm_fits_it_wherever_it_is_named():
    """SVC(C=1, gamma=1/784), the book's default SVM, is svm.BOOK_ERA: in every document,
    config file (figure titles, rows' words) and script that names its C and gamma, each
    number read exactly (not the constants rounded to the text's form)."""
    import subprocess

    from nndl3 import svm

    named = re.compile(r"C ?= ?([\d.]+), ?gamma ?= ?1 ?/ ?(\d+)")
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    found = [(name, float(c), 1 / int(n)) for name in tracked
             if not name.startswith("tests/") and name.endswith((".md", ".yaml", ".py"))
             for c, n in named.findall((ROOT / name).read_text())]
    assert {"docs/performance.md", "docs/experiments.md", "config/figures.yaml",
            "config/expected.yaml"} <= {name for name, *_ in found}
    assert [f for f in found if f[1:] != (svm.BOOK_ERA["C"], svm.BOOK_ERA["gamma"])] == []


def test_hours_of_cpu_per_seed_are_the_cost_table_s():
    """README.md and docs/cluster.md: the literature runs take "up to hours of CPU per seed";
    the committed cost record (results/literature_cost.json, docs/literature.md's table)
    has its most costly run above two hours a seed, its cheapest below one."""
    from nndl3 import paths

    hours = [r["cpu_hours_per_seed"]
             for r in json.loads((ROOT / paths.LITERATURE_COST).read_text())["rows"]]
    assert max(hours) > 2 and min(hours) < 1
    for doc in ("README.md", "docs/cluster.md"):
        assert "up to hours of CPU per seed" in prose(doc), doc


def test_the_threads_of_a_distorted_literature_run_are_stated_as_the_code_has_them():
    """docs/cluster.md and the SLURM profile's comment say how many threads a literature
    run with distortions takes: literature.DRAWING_THREADS, in words."""
    from nndl3 import literature

    words = word(literature.DRAWING_THREADS)
    assert f"{words} for a literature run with distortions" in prose("docs/cluster.md")
    assert f"{words} for a run with distortions" in prose("docs/cluster.md")
    profile = " ".join(line.lstrip("# ") for line in
                       (ROOT / "profiles/slurm/config.yaml").read_text().splitlines())
    assert f"{words} for a literature run with distortions" in " ".join(profile.split())


def test_the_readme_shows_the_figure_the_docs_copy_for_it():
    """README.md's image and the command under it name docs.README_FIGURE, the figure
    `python -m nndl3 docs` copies to docs/img (a renamed constant leaves no stale image)."""
    from nndl3 import docs

    text = prose("README.md")
    assert re.findall(r"\]\(docs/img/([\w]+)\.png\)", text)[:1] == [docs.README_FIGURE]
    assert f"made by `snakemake figures/{docs.README_FIGURE}.png`" in text


def test_the_literature_doc_states_the_wide_engines_unrolling_as_the_code_has_it():
    """'eight pixels at a time' (sparse_forward) and 'per four images' (sparse_step): the
    steps of the two loops over a row of W1 in nndl3/wide.py."""
    source = (ROOT / "src" / "nndl3" / "wide.py").read_text()
    pixels = int(re.search(r"while p \+ (\d+) <= end:", source).group(1))
    images = int(re.search(r"while q \+ (\d+) <= end:", source).group(1))
    text = prose("docs/literature.md")
    assert f"image by image, {word(pixels)} pixels at a time" in text
    assert f"per {word(pixels)} rows of W1" in text
    assert f"one load and store of a row of W1 per {word(images)} images" in text


def test_the_literature_doc_states_the_runs_training_images_and_the_probes_size():
    """'the first 50,000 training images' (every run's train_size, the book's split) and the
    probe of the hidden-only bound: 'within three mini-batches', 'on 300 synthetic digits'."""
    from nndl3 import literature
    from nndl3.mnist import N_TRAIN

    from .test_literature import CONFIG, HINTON_PROBE_BATCHES, HINTON_PROBE_IMAGES, LITERATURE

    sizes = {literature.run_spec(CONFIG, LITERATURE, run)["train_size"]
             for run in LITERATURE["runs"]}
    assert sizes == {N_TRAIN}
    text = prose("docs/literature.md")
    assert f"Every run trains on the first {N_TRAIN:,} training images" in text
    assert f"a fresh distorted copy of all {N_TRAIN:,} images every epoch" in text
    assert f"within {word(HINTON_PROBE_BATCHES)} mini-batches of the first epoch" in text
    assert f"on {HINTON_PROBE_IMAGES} synthetic digits" in text


def test_the_run_record_doc_lists_the_keys_and_timing_phases_a_record_has(tiny_data,
                                                                         base_spec):
    """docs/run-record.md's key table is the keys `train` writes (`code` added by the
    command, `recipe` only in a recipe's record), its schema name the readers', and its
    `timing` phases timing.PHASES: a key added or renamed in one place fails here."""
    from nndl3 import readers, timing
    from nndl3.train import train

    doc = (ROOT / "docs" / "run-record.md").read_text()
    table = doc.split("\n\n## ")[0]
    keys = set(re.findall(r"^\| `(\w+)` \|", table, re.M))
    [record] = train("r", {**base_spec, "epochs": 1}, tiny_data, log=io.StringIO())
    written = set(record) | {"code", "recipe"}
    assert keys == written, keys ^ written
    assert f"# Run record schema (`{readers.RECORD_SCHEMA}`)" in doc
    assert f'| `schema` | string | `"{readers.RECORD_SCHEMA}"` |' in doc
    timing_row = next(line for line in table.splitlines() if line.startswith("| `timing`"))
    stated = re.findall(r"`(\w+)` \(", timing_row)  # a phase, then what it holds
    assert stated == list(timing.PHASES), stated
    assert set(record["timing"]) - {"cpu"} <= set(timing.PHASES)


def test_replay_md_names_no_seed_but_the_authors():
    """docs/replay.md quotes the author's calls with his seed in them; each is
    replay_random.SEED."""
    from nndl3 import replay_random

    seeds = re.findall(r"\b\d{8}\b", prose("docs/replay.md"))
    assert len(seeds) >= 5 and set(seeds) == {str(replay_random.SEED)}, seeds


def test_the_docs_quote_the_unchecked_numbers_as_the_figures_mark_them():
    """The text's numbers with no row (UNCHECKED_MARKS), drawn by config/figures.yaml and
    quoted in words by the experiments doc and the README: the words are the marks'."""
    figures = config("figures.yaml")["figures"]
    bars = {b["label"]: b["book"] for b in figures["baselines"]["bars"] if "book" in b}
    tuned = bars["SVM, C and gamma tuned on validation"]
    experiments, readme = prose("docs/experiments.md"), prose("README.md")
    assert f"| a tuned SVM: {tuned:g} % |" in experiments
    assert f"such as the tuned SVM's {tuned:g} %, are drawn, not checked" in readme
    assert f"| random guessing | one digit in ten | about {bars['random guessing']:g} % |" \
        in experiments
    said = [m["label"].split(": ")[-1] for m in figures["weight_init_30"]["marks"]]
    old, new, end = said  # the old start, the new start, where both end
    end = end.removeprefix("both end ")
    assert (f"| `init_30_large` | {old} after the first epoch; {end} at the end |"
            in experiments)
    assert (f"| `init_30_default` | {new} after the first epoch; {end} at the end |"
            in experiments)


def test_the_size_sweep_follows_the_rule_the_experiments_doc_states():
    """'epochs = 1,500,000 / N, lambda = 0.0001 N': every run of the more-data figure's
    sweep (and the config's own comment) keeps it."""
    rule = "epochs = 1,500,000 / N, lambda = 0.0001 N"
    assert f"the first N images, {rule}," in prose("docs/experiments.md")
    assert f"sweep: {rule}" in (ROOT / "config" / "config.yaml").read_text()
    cfg = config("config.yaml")
    [series] = config("figures.yaml")["figures"]["more_data_linear"]["series"]
    assert len(series["runs"]) >= 9
    for run in series["runs"]:
        spec = cfg["runs"][run]
        n = spec["train_size"]
        assert spec["epochs"] * n == 1_500_000 and abs(spec["lmbda"] - 0.0001 * n) < 1e-12, run


def test_the_docs_state_the_book_epochs_and_the_published_rows_precision():
    """reproduction-gate.md's example of an effect gone names two rows' book epochs, and
    curve-check.md the precision of the rows read from the published runs: each as
    config/expected.yaml has it."""
    rows = {q["id"]: q for q in config("expected.yaml")["quantities"]}
    plateau, lowest = (rows[i]["book"] for i in ("overfit_test_plateau_epoch",
                                                 "overfit_test_cost_lowest_epoch"))
    assert (f"(no plateau near epoch {plateau}, no lowest test cost near epoch {lowest})"
            in prose("docs/reproduction-gate.md"))
    published = {q["book_precision"] for i, q in rows.items() if i.startswith(("size_", "svm_"))}
    assert len(published) == 1, published
    [precision] = published
    curves = prose("docs/curve-check.md")
    assert f"(two decimals, precision {precision:g})" in curves
    assert f"book precision {precision:g} points, half an image of 10,000" in curves
    assert precision * 10_000 / 100 == 0.5  # points of 10,000 test images: half an image


def test_the_docs_state_the_split_as_the_loader_makes_it():
    """design.md's data flow and experiments.md's defaults state the book's split: the
    first N_TRAIN images of the training file, the rest for validation, the test file."""
    from nndl3 import mnist

    n_file = mnist.FILES["train_images"].shape[0]
    n_test = mnist.FILES["test_images"].shape[0]
    sizes = [mnist.N_TRAIN, n_file - mnist.N_TRAIN, n_test]
    k = [f"{n // 1000}k" for n in sizes]
    assert (f"the book's split: train {k[0]} / validation {k[1]} / test {k[2]}"
            in prose("docs/design.md"))
    assert (f"training = the first {sizes[0]:,} images of the official training file, "
            f"validation = its last {sizes[1]:,}, test = the {sizes[2]:,} official test "
            "images") in prose("docs/experiments.md")


def test_the_experiments_doc_states_chapter_1s_run_and_rows_as_configured():
    """Section 11 states quad_30's mini-batch and epochs, the number of its printed epochs
    and the best of how many seeds its rows read: each as the config has it."""
    from nndl3 import workflow_config

    spec = workflow_config.run_spec(config("config.yaml"), "quad_30")
    expected = config("expected.yaml")
    experiments = prose("docs/experiments.md")
    assert (f"(`large`), mini-batch {spec['mini_batch']}, {spec['epochs']} epochs, the "
            f"{spec['train_size']:,} training images") in experiments
    printed = expected["transcripts"]["quad_30"]
    assert f"the {word(len(printed))} printed epochs of `quad_30`" in experiments
    ks = {q["best_of"] for q in expected["quantities"]
          if q.get("source", {}).get("run") == "quad_30" and "best_of" in q}
    assert len(ks) == 1, ks
    [k] = ks
    assert (f"(value at epoch k of the best of {k} seeds at its peak, `best_of: {k}, best_by: "
            f"best`: the text prints its best of {word(k)} runs), its peak as the best of {k} "
            f"seeds (`best_of: {k}`)") in experiments


def test_the_performance_doc_states_a_targets_estimate_as_computed():
    """'the larger of its longest chain of jobs ... and half its job-seconds':
    bench_docs.wall_estimate on ESTIMATE_CORES cores, given the chain (target_times.timing,
    tests/test_breakdown.py)."""
    from nndl3 import bench_docs

    assert ("the larger of its longest chain of jobs (one after another: no core can start a "
            f"job before its inputs) and {share(bench_docs.ESTIMATE_CORES)} its job-seconds"
            in prose("docs/performance.md"))
    assert bench_docs.wall_estimate(10.0, longest=1.0) == 10.0 / bench_docs.ESTIMATE_CORES
    assert bench_docs.wall_estimate(10.0, longest=9.0) == 9.0


def test_the_docs_state_the_rotation_the_streams_bounds_and_the_thresholds_rounding():
    """Three settings stated in prose: the rotated digit's degrees (config/figures.yaml),
    the streams tests' bounds (tests/test_streams.Z) and the decimals curves.threshold_at
    keeps."""
    from nndl3 import curves

    from .test_streams import Z

    degrees = config("figures.yaml")["figures"]["digit_5_rotated"]["degrees"]
    assert f'(a "5") and its {degrees}-degree rotation' in prose("docs/experiments.md")
    assert f"(bounds of {Z} standard errors" in prose("docs/reproduction-gate.md")
    threshold, _ = curves.threshold_at(np.array([0.123456789] * 10), 0.0)
    decimals = len(repr(threshold).split(".")[1])
    assert threshold == 0.1234 and f"rounded down to {decimals} decimals" in \
        prose("docs/curve-check.md")


def test_the_literature_doc_states_hintons_comparison_and_the_dropout_rows_count():
    """'from 98.4 % to 98.7 % with dropout' is the dropout row's compared_with and book;
    'the one row among them' counts the rows of the dropout runs."""
    rows = config("expected.yaml")["literature"]
    runs = config("literature.yaml")["runs"]
    dropout = [r for r in rows if runs[r["run"]].get("sizes") == runs["dropout_maxnorm"]["sizes"]]
    assert len(dropout) == 1, dropout
    [row] = dropout
    doc = prose("docs/literature.md")
    assert f"from {row['compared_with']:g} % to {row['book']:g} % with dropout" in doc
    assert f"whether `{row['run']}`'s row, the {word(len(dropout))} row among them, is made" \
        in doc


def test_the_gate_doc_s_headline_row_is_the_gate_s():
    """reproduction-gate.md names the gate's headline row, and says it is calibrated on
    more seeds than the others; the l2-full-seeds block reads that row."""
    from nndl3 import docs

    expected = config("expected.yaml")
    headline = expected["gate"]["headline"]
    assert docs.L2_FULL_ROW == headline
    text = prose("docs/reproduction-gate.md")
    assert f"`{headline}` first (`gate: headline`)" in text
    assert (f"`{headline}` is calibrated on the seeds its row declares, more than the other "
            "rows'") in text
    (row,) = [q for q in expected["quantities"] if q["id"] == headline]
    assert len(row["calibration_seeds"]) > len(config("config.yaml")["calibration_seeds"])


def test_the_runs_table_says_what_the_config_holds():
    """experiments.md's runs table: the momentum runs keep hp_fixed's eta / (1 - mu), and
    softmax_100 is initialized as l2_100."""
    from nndl3 import workflow_config

    merged = workflow_config.load(ROOT)
    spec = {run: workflow_config.run_spec(merged, run)
            for run in ("hp_fixed", "momentum_05", "momentum_09", "softmax_100", "l2_100")}
    for run in ("momentum_05", "momentum_09"):
        rate = spec[run]["eta"] / (1 - spec[run]["momentum"])
        assert rate == pytest.approx(spec["hp_fixed"]["eta"], rel=1e-12), run
    text = prose("docs/experiments.md")
    assert "| `momentum_05`, `momentum_09` | momentum, eta lowered so that eta / (1 - mu) " \
           "stays `hp_fixed`'s eta |" in text
    assert spec["softmax_100"]["init"] == spec["l2_100"]["init"]
    assert "initialized as its sigmoid partner `l2_100`" in text


def recorded_versions(x):
    """Every `versions` mapping in a loaded record, however deep."""
    if isinstance(x, dict):
        for key, value in x.items():
            if key == "versions" and isinstance(value, dict):
                yield value
            else:
                yield from recorded_versions(value)
    elif isinstance(x, list):
        for value in x:
            yield from recorded_versions(value)


def test_the_committed_records_were_made_with_the_locked_packages():
    """README: requirements.lock pins the versions 'the documented numbers were measured
    with': every committed record that names its packages' versions names the lock's."""
    lock = dict(re.findall(r"^([A-Za-z0-9_.-]+)==([^\s\\]+)",
                           (ROOT / "requirements.lock").read_text(), re.M))
    import subprocess

    tracked = subprocess.run(["git", "ls-files", "config", "results"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout.split()
    compared = set()
    for path in (ROOT / name for name in tracked if name.endswith((".json", ".yaml"))):
        text = path.read_text()
        loaded = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        for versions in recorded_versions(loaded):
            differ = {k: (v, lock[k]) for k, v in versions.items() if k in lock and v != lock[k]}
            assert not differ, f"{path.relative_to(ROOT)}: made with {differ} (recorded, lock)"
            if lock.keys() & versions.keys():
                compared.add(path.name)
    assert {"calibration.yaml", "recipe.yaml"} <= compared  # the gate's own records


def test_the_readme_states_the_python_the_results_were_made_with():
    """'Python 3.11' in the README's install line: the version the committed calibration
    was made with."""
    made = yaml.safe_load((ROOT / "config" / "calibration.yaml").read_text())
    python = made["provenance"]["versions"]["python"]
    minor = ".".join(python.split(".")[:2])
    assert f"(Python {minor}, Linux x86_64)" in prose("README.md")
