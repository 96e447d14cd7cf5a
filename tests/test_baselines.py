"""Chapter 1's baselines: the average-darkness classifier and the tuned SVM's search."""

import json
from pathlib import Path

import numpy as np
import pytest

from nndl3 import baselines, cli, readers, svm
from nndl3.errors import UserError


def darkness_data(rng, n):
    """Images whose darkness is their digit's own level, plus noise."""
    y = rng.integers(0, 10, n)
    levels = np.array([5.0, 1.0, 9.0, 3.0, 7.0, 2.0, 8.0, 4.0, 6.0, 10.0])
    x = np.zeros((n, 784))
    x[:, :10] = (levels[y] + rng.normal(0, 0.2, n))[:, None] / 10
    return x, y


def test_darkness_means_are_each_digits_mean_sum():
    x = np.array([[0.5, 0.5], [1.0, 1.0], [0.25, 0.0], [0.0, 0.75]])
    y = np.array([3, 3, 7, 7])
    means = baselines.darkness_means(x, y)
    assert means[3] == 1.5 and means[7] == 0.5
    assert means[0] == np.inf  # a digit without images is never the nearest
    assert list(baselines.darkness_predict(means, np.array([[1.4, 0.0], [0.2, 0.1]]))) == [3, 7]
    assert baselines.darkness({"train": (x, y), "test": (x, y)}, "test")["means"][0] is None


def test_nearest_mean_ties_go_to_the_lower_digit():
    means = np.array([1.0, 3.0, 3.0, 5.0, 9.0, 9.0, 9.0, 9.0, 9.0, 9.0])
    # 2.0 is as near to digit 0 as to digits 1 and 2; 3.0 is digit 1's and 2's mean
    got = baselines.darkness_predict(means, np.array([[2.0], [3.0], [7.0]]))
    assert list(got) == [0, 1, 3]


def test_darkness_classifier_on_synthetic_digits():
    rng = np.random.default_rng(0)
    train, test = darkness_data(rng, 2000), darkness_data(rng, 500)
    result = baselines.darkness({"train": train, "test": test}, "test")
    predicted = baselines.darkness_predict(np.array(result["means"]), test[0])
    assert result["correct"] == int(np.sum(predicted == test[1])) > 450
    assert result["of"] == 500 and result["accuracy"] == result["correct"] / 500
    # one level per digit: the means recover the levels (sum of 10 pixels of level / 10)
    np.testing.assert_allclose(result["means"][:3], [5.0, 1.0, 9.0], atol=0.05)


GRID = [{"C": 1.0, "gamma": 0.02}, {"C": 10.0, "gamma": 0.01}, {"C": 3.0, "gamma": 0.05}]


def test_tuned_svm_tries_the_grid_and_keeps_the_best(tiny_data):
    result = baselines.tuned_svm(tiny_data, GRID, 100, budget_cpu_seconds=1e9, train_size=200)
    assert [{k: t[k] for k in ("C", "gamma")} for t in result["tried"]] == GRID
    best = max(result["tried"], key=lambda t: t["validation_accuracy"])
    assert result["params"] == {"kernel": "rbf", "C": best["C"], "gamma": best["gamma"]}
    assert result["skipped"] == [] and result["train_size"] == 200
    assert 0.5 < result["accuracy"] <= 1 and result["correct"] == round(100 * result["accuracy"])


def test_tuned_svm_stops_at_its_budget(tiny_data):
    """A budget spent by the first candidate: the others are skipped, not tried."""
    result = baselines.tuned_svm(tiny_data, GRID, 100, budget_cpu_seconds=0, train_size=200)
    assert len(result["tried"]) == 1 and result["skipped"] == GRID[1:]
    assert result["params"]["C"] == GRID[0]["C"] and result["cpu_seconds"]["search"] > 0


def test_tuned_svm_searches_on_the_first_images_only(tiny_data):
    """Images past the search's first 100 relabelled wrongly: the search does not see them,
    while a search that took them in (the control, on all 500) scores otherwise."""
    x, y = tiny_data["train"]
    mislabelled = {**tiny_data, "train": (x, np.concatenate([y[:100], (y[100:] + 1) % 10]))}

    def tried(data, search_size):
        return [t["validation_accuracy"] for t in baselines.search(
            data, GRID, search_size, 1e9)["tried"]]

    assert tried(mislabelled, 100) == tried(tiny_data, 100)
    assert tried(mislabelled, 500) != tried(tiny_data, 500)


def test_the_tuned_svm_from_its_search_and_parts_is_the_same_result(tiny_data):
    """Searched in one job and refitted in several (the workflow), the tuned SVM gives the
    result of one job, but for the times."""
    whole = baselines.tuned_svm(tiny_data, GRID, 100, 1e9, train_size=200)
    searched = baselines.search(tiny_data, GRID, 100, 1e9)
    x, y = (a[:200] for a in tiny_data["train"])
    best = searched["best"]
    solved = [s for part in range(3) for s in svm.solve(
        x, y, best["C"], best["gamma"], svm.part_of(svm.class_pairs(y), part, 3))]
    split = baselines.tuned_svm(tiny_data, GRID, 100, 1e9, train_size=200, searched=searched,
                                solved=solved)
    # and with its labels predicted by jobs of their own (tuned-svm-predict)
    model = baselines.tuned_model(tiny_data, best, 200, solved)
    predicted = {name: svm.predict(model, tiny_data[name][0]) for name in ("validation", "test")}
    jobs = baselines.tuned_svm(tiny_data, GRID, 100, 1e9, train_size=200, searched=searched,
                               solved=solved, predicted=predicted)

    def untimed(result):
        return {k: v for k, v in result.items() if k != "cpu_seconds"} | {
            "tried": [{k: v for k, v in t.items() if k != "cpu_seconds"}
                      for t in result["tried"]]}

    assert untimed(split) == untimed(whole) == untimed(jobs)
    wrong = {name: (tiny_data[name][1] + 1) % 10 for name in ("validation", "test")}
    scored = baselines.tuned_svm(tiny_data, GRID, 100, 1e9, train_size=200, searched=searched,
                                 solved=solved, predicted=wrong)
    assert scored["correct"] == 0 and scored["validation_accuracy"] == 0  # the labels given


def test_the_search_from_its_candidates_jobs_is_the_search_in_one_process(tiny_data):
    """Each candidate scored apart (the workflow's jobs), then selected: the same search,
    but for the times."""
    whole = baselines.search(tiny_data, GRID, 100, 1e9)
    candidates = [baselines.candidate(tiny_data, params, 100) for params in GRID]
    split = baselines.select(GRID, candidates, 100, 1e9)

    def untimed(result):
        return {k: v for k, v in result.items() if k != "cpu_seconds"} | {
            "tried": [{k: v for k, v in t.items() if k != "cpu_seconds"}
                      for t in result["tried"]]}

    assert untimed(split) == untimed(whole)
    assert split["cpu_seconds"] == sum(t["cpu_seconds"] for t in candidates)


def test_the_selection_counts_only_the_candidates_within_the_budget():
    """A search in one process stops before a candidate once those tried used the budget:
    the selection keeps the same ones, even when a later candidate scored better."""
    scored = [{**params, "validation_accuracy": accuracy, "cpu_seconds": 5.0}
              for params, accuracy in zip(GRID, (0.8, 0.7, 0.9), strict=True)]
    result = baselines.select(GRID, scored, 100, budget_cpu_seconds=10)
    assert result["tried"] == scored[:2] and result["skipped"] == GRID[2:]
    assert result["best"] == {"C": GRID[0]["C"], "gamma": GRID[0]["gamma"]}
    assert baselines.select(GRID, scored, 100, 10.5)["best"]["C"] == GRID[2]["C"]


@pytest.fixture
def spec_and_candidates(tmp_path):
    spec = json.dumps({"grid": GRID, "search_size": 100, "budget_cpu_seconds": 600})
    paths = []
    for k, params in enumerate(GRID):
        path = tmp_path / f"candidate-{k}.json"
        path.write_text(json.dumps({**params, "validation_accuracy": 0.5 + k / 10,
                                    "cpu_seconds": 1.0}))
        paths.append(str(path))
    return spec, paths, tmp_path / "search.json"


def test_the_search_job_selects_from_its_candidates_files(spec_and_candidates):
    spec, candidates, out = spec_and_candidates
    assert cli.main(["tuned-svm-search", "--spec", spec, "--candidates", *candidates,
                     "--out", str(out)]) == 0
    assert json.loads(out.read_text())["best"] == {"C": GRID[2]["C"], "gamma": GRID[2]["gamma"]}


@pytest.mark.parametrize("problem", ["another candidate", "not a result", "one missing"])
def test_a_wrong_candidate_file_is_one_line_naming_it(spec_and_candidates, capsys, problem):
    spec, candidates, out = spec_and_candidates
    named = candidates[1]
    if problem == "another candidate":
        Path(named).write_text(json.dumps({**GRID[0], "validation_accuracy": 0.5,
                                           "cpu_seconds": 1.0}))
    elif problem == "not a result":
        Path(named).write_text(json.dumps([1, 2]))
    else:
        candidates, named = candidates[:-1], "--candidates"
    assert cli.main(["tuned-svm-search", "--spec", spec, "--candidates", *candidates,
                     "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and named in err, err
    assert not out.exists()


def test_a_candidate_outside_the_grid_is_one_line(tiny_data, capsys, tmp_path):
    spec = json.dumps({"grid": GRID, "search_size": 100, "budget_cpu_seconds": 600})
    assert cli.main(["tuned-svm-candidate", "--spec", spec, "--candidate", "3",
                     "--data", str(tmp_path / "absent.npz"),
                     "--out", str(tmp_path / "c.json")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--candidate 3" in err, err


@pytest.mark.parametrize("content, words", [
    ("99 labels", "(99,) labels of type int64, not 100 integers"),
    ("floats", "(100,) labels of type float64, not 100 integers"),
    ("not npy", "not predicted labels (not a NumPy array file)"),
    ("npz", "not predicted labels (an .npz archive, not an .npy array)"),
    ("99s", "labels from 0 to 99, not digits 0-9")])
def test_wrong_predicted_labels_are_one_line_naming_the_file(tmp_path, content, words):
    path = tmp_path / "predicted-test.npy"
    if content == "not npy":
        path.write_bytes(b"not npy")
    elif content == "npz":
        with open(path, "wb") as f:
            np.savez(f, labels=np.arange(100))
    elif content == "99s":  # each would have counted as wrong, silently
        np.save(path, np.arange(100))
    else:
        np.save(path, np.zeros(99, dtype=np.int64) if content == "99 labels" else np.zeros(100))
    with pytest.raises(UserError) as caught:
        cli.predicted_labels(str(path), 100)
    # a file outside the workflow's outputs is the user's to fix, not to rebuild
    assert str(caught.value) == f"{path}: {words}; {readers.FIX}"


def test_predicted_labels_read_back(tmp_path):
    path = tmp_path / "predicted-test.npy"
    np.save(path, np.arange(100) % 10)
    np.testing.assert_array_equal(cli.predicted_labels(str(path), 100), np.arange(100) % 10)


def test_a_grid_with_a_candidate_twice_is_refused(tmp_path, capsys):
    """It would be scored twice, and counted so in the search's budget."""
    spec = json.dumps({"grid": [GRID[0], GRID[0]], "search_size": 100,
                       "budget_cpu_seconds": 600})
    assert cli.main(["tuned-svm-search", "--spec", spec, "--out",
                     str(tmp_path / "search.json")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "grid: " in err and "has non-unique elements" in err
