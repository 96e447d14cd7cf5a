"""A changed experiment says so: a run trained with other settings than the committed
config's is `changed` in the check's rows and curves (neither pass nor fail, no tolerance)
and named on its figures."""

import json
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from nndl3 import changed, check, curves, figures, tolerance, workflow_config
from nndl3.errors import UserError

from .conftest import read_book
from .test_curves import CURVE, aggregate_around, calibration_of, row_of

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = workflow_config.read_committed(ROOT / workflow_config.COMMITTED)
BOOK = workflow_config.book_settings(COMMITTED)


def spec_of(run, **override):
    """The settings an aggregate of `run` records when trained with `override`."""
    merged = {**COMMITTED, "runs": {**COMMITTED["runs"],
                                    run: {**COMMITTED["runs"][run], **override}}}
    return {k: v for k, v in workflow_config.run_spec(merged, run).items() if k != "seeds"}


def test_the_committed_settings_are_not_a_change():
    assert changed.differences(spec_of("overfit_1k"), BOOK["overfit_1k"]) == ""


def test_a_difference_names_the_key_ours_and_the_books():
    assert changed.differences(spec_of("overfit_1k", eta=0.1), BOOK["overfit_1k"]) \
        == "eta 0.1, book 0.5"
    assert changed.differences(spec_of("overfit_1k", momentum=0.5, eta=0.25),
                               BOOK["overfit_1k"]) \
        == "eta 0.25, book 0.5; momentum 0.5, book 0"


def test_the_monitors_in_another_order_are_no_change():
    book = BOOK["overfit_1k"]
    spec = spec_of("overfit_1k", monitor=book["monitor"][::-1])
    assert spec["monitor"] != book["monitor"] and changed.differences(spec, book) == ""
    fewer = spec_of("overfit_1k", monitor=book["monitor"][1:])
    assert changed.differences(fewer, book).startswith("monitor [")


def test_the_engine_auto_trains_with_is_no_change():
    # auto trains overfit_1k with the fast engine (the same bits as `engine: fast`), and
    # the network without a hidden layer with NumPy's
    assert changed.differences(spec_of("overfit_1k", engine="fast"), BOOK["overfit_1k"]) == ""
    assert changed.differences(spec_of("overfit_1k", engine="numpy"), BOOK["overfit_1k"]) \
        == "engine numpy, book auto"
    assert changed.differences(spec_of("quad_no_hidden", engine="numpy"),
                               BOOK["quad_no_hidden"]) == ""


def test_description_and_seeds_are_not_settings():
    spec = {**spec_of("overfit_1k"), "description": "mine", "seeds": [1, 2, 3, 4, 5]}
    assert changed.differences(spec, BOOK["overfit_1k"]) == ""


def test_without_book_settings_nothing_is_compared():
    aggregates = {"overfit_1k": {"spec": spec_of("overfit_1k", eta=0.1)}}
    assert changed.changed(["overfit_1k"], aggregates, None) is None
    assert changed.changed(["overfit_1k"], aggregates, BOOK) == "overfit_1k: eta 0.1, book 0.5"


ROW = {"id": "r", "section": 3, "quantity": "q", "book": 95.0, "book_precision": 0.005,
       "source": {"run": "overfit_1k", "metric": "evaluation_accuracy", "reduce": "best"}}


@pytest.mark.parametrize("values, judged", [([0.951, 0.949, 0.950], "pass"),
                                            ([0.80, 0.81, 0.79], "FAIL")])
def test_a_row_of_a_changed_run_is_changed_whatever_its_value(values, judged):
    agg = {"overfit_1k": {"monitored_epochs": [0, 1], "spec": spec_of("overfit_1k", eta=0.1),
                          "metrics": {"evaluation_accuracy": {
                              "per_seed": [[v - 0.01, v] for v in values]}}}}
    calibration = {"seeds": [101, 102], "seed_sd": {"r": 0.2}}
    gate = tolerance.Gate(alpha_family=0.01, power=0.8, m=1)
    (row,) = check.evaluate({"quantities": [ROW]}, calibration, check.Inputs(agg), gate,
                            book_settings=BOOK)
    assert (row["status"], row["reason"], row["tolerance"]) == \
        ("changed", "overfit_1k: eta 0.1, book 0.5", None)
    table = check.markdown([row], {"rule": "rule"}, {
        "alpha_row": gate.alpha_row, "alpha_family": gate.alpha_family, "m": gate.m,
        "power": gate.power})
    assert "| - | changed (overfit_1k: eta 0.1, book 0.5) |" in table
    assert "1 changed (settings not the book's, not compared): r" in table
    (same,) = check.evaluate({"quantities": [ROW]}, calibration, check.Inputs(agg), gate)
    assert same["status"] == judged  # no book settings given: judged as before


def test_a_curve_of_a_changed_run_is_changed_not_compared():
    aggregates = aggregate_around(CURVE["values"], 0.5, shift=5.0)  # would fail
    aggregates[CURVE["run"]]["spec"] = spec_of(CURVE["run"], eta=0.1)
    rows = curves.evaluate(read_book(), calibration_of(0.5), aggregates, None, BOOK)
    row = row_of(rows)
    assert (row["status"], row["reason"]) == ("changed", f"{CURVE['run']}: eta 0.1, book 0.5")
    assert "within" not in row


def test_a_figure_of_a_changed_run_names_the_change(tmp_path):
    from .test_plotting import write_aggregate

    spec = spec_of("overfit_1k", eta=0.1)
    path = write_aggregate(tmp_path, "overfit_1k", **spec)
    entry = {"family": "curves", "title": "t",
             "series": [{"run": "overfit_1k", "metric": "evaluation_accuracy", "label": "x"}]}
    paths = {"aggregates": [path]}

    def texts(book_settings):
        fig = figures.draw(entry, paths, None, book_settings)
        shown = [t.get_text() for t in fig.texts]
        shown += [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        plt.close(fig)
        return shown

    # the note says what changed, the legend which of its lines
    assert texts(BOOK) == ["Changed from the book: overfit_1k: eta 0.1, book 0.5",
                           "x (changed: eta 0.1) (mean of 3)"]
    assert texts({"overfit_1k": spec}) == ["x (mean of 3)"]
    assert texts(None) == ["x (mean of 3)"]


def test_a_changed_figure_shows_what_it_drew_and_says_which_run_changed(tmp_path):
    from .test_plotting import write_aggregate

    # fake records: accuracies 50-100 %, below the ylim the entry chose for the book's
    spec = spec_of("overfit_1k", eta=0.1, monitor_every=1000, epochs=1)
    path = write_aggregate(tmp_path, "overfit_1k", **spec)
    entry = {"family": "curves", "title": "t", "ylim": [90, 100],
             "series": [{"run": "overfit_1k", "metric": "evaluation_accuracy",
                         "label": "test accuracy of the network on the test images"}]}
    fig = figures.draw(entry, {"aggregates": [str(path)]}, None, BOOK)
    ax = fig.axes[0]
    (ours,) = ax.get_lines()
    assert ax.get_ylim()[0] < ours.get_ydata()[0] < 90  # widened to show it
    assert ours.get_marker() == "o"  # one epoch: a point, which a line would not show
    label = ours.get_label()  # wrapped, so that the legend stays on the figure
    assert "\n" in label and label.replace("\n", " ") == (
        "test accuracy of the network on the test images (changed: epochs 1, eta 0.1, "
        "monitor_every 1000) (mean of 3)")
    plt.close(fig)
    # a sweep's series draws several runs: its label names the one changed
    paths = [str(write_aggregate(tmp_path, run, **{"epochs": 5, **spec_of(run, **change)}))
             for run, change
             in (("size_100", {"eta": 0.1}), ("size_200", {}))]
    sweep = {"family": "sweep", "title": "t", "xlabel": "n", "ylabel": "%", "series": [
        {"runs": ["size_100", "size_200"], "x": "train_size", "metric": "evaluation_accuracy",
         "label": "x"}]}
    fig = figures.draw(sweep, {"aggregates": paths}, None, BOOK)
    assert fig.axes[0].get_lines()[0].get_label() == "x (changed: size_100: eta 0.1) (mean of 3)"
    plt.close(fig)
    paths = [str(write_aggregate(tmp_path, run, **{"epochs": 5, **spec_of(run, eta=0.1)}))
             for run in ("size_100", "size_200")]  # every run alike: the change once
    fig = figures.draw(sweep, {"aggregates": paths}, None, BOOK)
    assert fig.axes[0].get_lines()[0].get_label() == "x (changed: eta 0.1) (mean of 3)"
    plt.close(fig)


def test_a_changed_run_widens_the_y_range_to_itself_alone(tmp_path):
    from .test_plotting import write_aggregate

    paths = [str(write_aggregate(tmp_path, run, **spec_of(run, **change))) for run, change
             in (("overfit_1k", {"eta": 0.1}), ("l2_1k", {}))]  # fake: 50-100 %
    book_run = json.loads(Path(paths[1]).read_text())  # the book's run, far lower: 10-20 %
    stats = book_run["metrics"]["evaluation_accuracy"]
    for key in ("mean", "min", "max"):
        stats[key] = [v / 5 for v in stats[key]]
    Path(paths[1]).write_text(json.dumps(book_run))
    entry = {"family": "curves", "title": "t", "ylim": [90, 100], "series": [
        {"run": run, "metric": "evaluation_accuracy", "label": run}
        for run in ("overfit_1k", "l2_1k")]}
    fig = figures.draw(entry, {"aggregates": paths}, None, BOOK)
    lowest = min(fig.axes[0].collections[0].get_paths()[0].vertices[:, 1])  # its band's
    assert 40 < fig.axes[0].get_ylim()[0] < lowest  # to the changed run, not the book's
    plt.close(fig)
    paths[0] = str(write_aggregate(tmp_path, "overfit_1k", **spec_of("overfit_1k")))
    fig = figures.draw(entry, {"aggregates": paths}, None, BOOK)  # the book's: as chosen
    assert fig.axes[0].get_ylim() == (90, 100)
    plt.close(fig)


def test_a_merged_config_names_its_changes_before_training():
    merged = {**COMMITTED, "runs": {**COMMITTED["runs"],
                                    "overfit_1k": {**COMMITTED["runs"]["overfit_1k"],
                                                   "eta": 0.1}}}
    assert workflow_config.of_config(merged, ["overfit_1k", "xent_30"], BOOK) \
        == "overfit_1k: eta 0.1, book 0.5"
    assert workflow_config.of_config(COMMITTED, ["overfit_1k", "xent_30"], BOOK) is None


def test_the_workflow_hands_the_jobs_the_committed_settings():
    """The rules pass BOOK_SETTINGS from the committed file, not the merged config."""
    common = "".join((ROOT / "workflow/rules/common.smk").read_text().split())
    assert ("COMMITTED_CONFIG=workflow_config.read_committed(Path(workflow.basedir,"
            "workflow_config.COMMITTED))" in common)
    assert "BOOK_SETTINGS=workflow_config.book_settings(COMMITTED_CONFIG)" in common
    for rule in ("figures.smk", "check.smk"):
        assert "--book-settings {params.book_settings:q}" in \
            (ROOT / "workflow/rules" / rule).read_text()


def neuron_result(name, **override):
    """The single neuron's result of the committed entry `name`, trained with `override`."""
    from nndl3 import neuron, readers

    entry = {**COMMITTED["neuron"][name], **override}
    return {"schema": readers.NEURON_SCHEMA,
            **{neuron.STORED[k]: v for k, v in entry.items()},
            **neuron.train(entry["w"], entry["b"], entry["cost"], entry["eta"], entry["epochs"])}


NEURON_ROW = {"id": "n", "section": 1, "quantity": "q", "book": 0.09, "book_precision": 0.005,
              "source": {"neuron": "quadratic_good", "at": "end"}}


def test_a_neuron_row_of_a_changed_neuron_run_is_changed():
    """The single neuron's runs are experiments with settings too (README: changing a
    hyperparameter): its rows say `changed`, not FAIL."""
    calibration = {"seeds": [101, 102], "seed_sd": {}}
    gate = tolerance.Gate(alpha_family=0.01, power=0.8, m=1)
    faster = check.Inputs({}, {}, {"quadratic_good": neuron_result("quadratic_good", eta=0.5)})
    (row,) = check.evaluate({"quantities": [NEURON_ROW]}, calibration, faster, gate,
                            book_settings=BOOK)
    assert (row["status"], row["reason"]) == ("changed", "neuron quadratic_good: eta 0.5, "
                                                         "book 0.15")
    as_book = check.Inputs({}, {}, {"quadratic_good": neuron_result("quadratic_good")})
    (row,) = check.evaluate({"quantities": [NEURON_ROW]}, calibration, as_book, gate,
                            book_settings=BOOK)
    assert row["status"] != "changed"


def test_a_neuron_figure_of_a_changed_run_names_the_change(tmp_path):
    import json

    path = tmp_path / "quadratic_good.json"
    path.write_text(json.dumps(neuron_result("quadratic_good", eta=0.5)))
    entry = {"family": "neuron", "title": "t", "neuron": "quadratic_good"}
    fig = figures.draw(entry, {"neuron": [str(path)]}, None, BOOK)
    assert [t.get_text() for t in fig.texts] == [
        "Changed from the book: neuron quadratic_good: eta 0.5, book 0.15"]
    plt.close(fig)
    merged = {**COMMITTED, "neuron": {**COMMITTED["neuron"], "quadratic_good": {
        **COMMITTED["neuron"]["quadratic_good"], "eta": 0.5}}}
    assert workflow_config.of_config(merged, figures.drawn_runs(entry), BOOK) == \
        "neuron quadratic_good: eta 0.5, book 0.15"


BREAK = {"id": "b", "section": 3, "quantity": "q", "book": 280.0, "book_precision": 0.5,
         "source": {"run": "overfit_1k", "metric": "evaluation_accuracy",
                    "reduce": "break_epoch", "window": [200, 399]}}


def five_epochs(**override):
    """overfit_1k's aggregate after 5 epochs: nothing in the window [200, 399]."""
    return {"overfit_1k": {"monitored_epochs": [0, 1, 2, 3, 4],
                           "spec": spec_of("overfit_1k", **override),
                           "metrics": {"evaluation_accuracy": {
                               "per_seed": [[0.5, 0.6, 0.7, 0.8, 0.81]] * 2}}}}


def test_a_shortened_run_leaves_its_window_rows_changed_and_unmeasured():
    """The README invites a shorter run: a row it cannot measure (an epoch window the run
    does not reach) is still `changed`, saying why it has no value, not a crash."""
    calibration = {"seeds": [101, 102], "seed_sd": {"b": 10.0, "r": 0.2}}
    gate = tolerance.Gate(alpha_family=0.01, power=0.8, m=1)
    (row,) = check.evaluate({"quantities": [BREAK]}, calibration,
                            check.Inputs(five_epochs(epochs=5)), gate, book_settings=BOOK)
    assert row["status"] == "changed" and row["mean"] is None
    assert row["reason"] == ("overfit_1k: epochs 5, book 400; not measured: no 3 monitored "
                             "epochs in the window [200, 399] (the run's: 0-4)")
    table = check.markdown([row], {"rule": "rule"}, {
        "alpha_row": gate.alpha_row, "alpha_family": gate.alpha_family, "m": gate.m,
        "power": gate.power})
    assert "| `b` | 3 | 280 | - (0) | - | - | - |" in table and "nan" not in table
    json.dumps(row, allow_nan=False)  # the report's JSON stays JSON
    (measured,) = check.evaluate({"quantities": [ROW]}, calibration,
                                 check.Inputs(five_epochs(epochs=5)), gate, book_settings=BOOK)
    assert row.keys() == measured.keys()  # a reader of the report finds the same fields


def test_a_window_no_run_of_the_books_reaches_names_the_row():
    calibration = {"seeds": [101, 102], "seed_sd": {"b": 10.0}}
    with pytest.raises(UserError, match=r"^expected values, row 'b': no 3 monitored epochs "
                                        r"in the window \[200, 399\] \(the run's: 0-4\)$"):
        check.evaluate({"quantities": [BREAK]}, calibration, check.Inputs(five_epochs()),
                       tolerance.Gate(alpha_family=0.01, power=0.8, m=1), book_settings=BOOK)
