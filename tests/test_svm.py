import re
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.svm import SVC

from nndl3 import svm
from nndl3.errors import UserError


@pytest.mark.parametrize("n_train", [60, 400])
@pytest.mark.parametrize("gamma", [1 / 64, 0.2])
@pytest.mark.parametrize("pixels", ["codes", "other"])
def test_pairwise_fit_is_libsvms_classifier(n_train, gamma, pixels):
    """Solved pair by pair on precomputed kernels, the SVM must be libsvm's SVC: the same
    support vectors and, point for point, libsvm's own predictions; for pixels k / 256 (the
    book's, with float32 products: svm_kernel) as for others."""
    x, y = load_digits(return_X_y=True)
    x = x * 15 / 256 if pixels == "codes" else x / 16
    clf = SVC(kernel="rbf", C=1.0, gamma=gamma).fit(x[:n_train], y[:n_train])
    expected = clf.predict(x[n_train:])
    assert 0.1 < np.mean(expected == y[n_train:]) < 1  # a classifier that errs: votes matter
    model = svm.fit(x[:n_train], y[:n_train], 1.0, gamma)
    np.testing.assert_array_equal(model.support, np.sort(clf.support_))
    np.testing.assert_array_equal(svm.predict(model, x[n_train:], chunk=97), expected)


def test_run_reports_the_fit(tiny_data):
    result = svm.run(tiny_data, 300, "test")
    assert result["train_size"] == 300 and result["params"] == svm.BOOK_ERA
    assert 0.5 < result["accuracy"] <= 1 and 0 < result["n_support"] <= 300


def test_the_test_set_is_scored_by_the_same_fit(tiny_data):
    """Scoring the test set too leaves every value of the validation result unchanged, and
    its score is that of the fit's predictions (chapter 1's default SVM)."""
    plain = svm.run(tiny_data, 40, "validation")
    both = svm.run(tiny_data, 40, "validation", score=("test",))
    timed = ("fit_seconds", "predict_seconds", "cpu_seconds")
    assert {k: v for k, v in both.items() if k not in (*timed, "scores")} == \
        {k: v for k, v in plain.items() if k not in timed}
    model = svm.fit(*[a[:40] for a in tiny_data["train"]], **{
        k: svm.BOOK_ERA[k] for k in ("C", "gamma")})
    xt, yt = tiny_data["test"]
    correct = int(np.sum(svm.predict(model, xt) == yt))
    assert both["scores"] == {"test": {"correct": correct, "of": len(yt),
                                       "accuracy": correct / len(yt)}}
    assert 0 < correct < len(yt) and "scores" not in plain


def same_model(a, b):
    np.testing.assert_array_equal(a.support, b.support)
    np.testing.assert_array_equal(a.vectors, b.vectors)
    assert len(a.pairs) == len(b.pairs)
    for pa, pb in zip(a.pairs, b.pairs, strict=True):
        assert pa[:2] == pb[:2] and pa[4] == pb[4]
        np.testing.assert_array_equal(pa[2], pb[2])
        np.testing.assert_array_equal(pa[3], pb[3])


@pytest.mark.parametrize("parts", [1, 4, 45])
def test_a_fit_split_over_jobs_is_the_same_fit_to_the_bit(tmp_path, parts):
    """Each job solves its share of the pair problems and saves them; the assembled
    classifier equals the fit in one job, bit for bit, whatever the order of the parts."""
    x, y = load_digits(return_X_y=True)
    x, y = x[:300] / 16, y[:300]
    whole = svm.fit(x, y, 1.0, 0.05)
    params = {"C": 1.0, "gamma": 0.05}
    files = []
    for part in range(parts):
        pairs = svm.part_of(svm.class_pairs(y), part, parts)
        files.append(tmp_path / f"part-{part}.npz")
        svm.save_part(files[-1], svm.solve(x, y, 1.0, 0.05, pairs), params, len(y))
    same_model(svm.model_of(x, y, 0.05, svm.load_parts(files[::-1], params, len(y))), whole)


@pytest.mark.parametrize("parts", [1, 2, 3, 5, 7, 45, 50])
def test_the_parts_share_the_pairs_out_evenly_and_touch_few_digits(parts):
    pairs = svm.class_pairs(np.arange(10))
    groups = [svm.part_of(pairs, part, parts) for part in range(parts)]
    assert sorted(sum(groups, [])) == pairs
    assert max(map(len, groups)) - min(map(len, groups)) <= 1
    digits = sum(len({c for pair in g for c in pair}) for g in groups)
    every_parts_th = sum(len({c for pair in pairs[k::parts] for c in pair})
                         for k in range(parts))
    assert digits <= every_parts_th
    if parts == 5:  # partition's docstring: 28 within-digit kernels, not 45
        assert (digits, every_parts_th) == (28, 45)


PART_PARAMS = {"C": 1.0, "gamma": 0.05}


def saved_part(path, parts):
    """Part 0 of `parts` of a fit on 200 small digits, saved to `path`: (x, y)."""
    x, y = load_digits(return_X_y=True)
    x, y = x[:200] / 16, y[:200]
    svm.save_part(path, svm.solve(x, y, 1.0, 0.05, svm.part_of(svm.class_pairs(y), 0, parts)),
                  PART_PARAMS, len(y))
    return x, y


def test_parts_missing_or_from_other_params_or_images_are_refused(tmp_path):
    params = PART_PARAMS
    path = tmp_path / "part-0.npz"
    x, y = saved_part(path, 2)
    with pytest.raises(UserError, match="23 pair problems solved, 45 needed"):
        svm.model_of(x, y, 0.05, svm.load_parts([path], params, len(y)))
    with pytest.raises(UserError, match="not 3.0, 0.05: rerun its job"):
        svm.load_parts([path], {"C": 3.0, "gamma": 0.05}, len(y))
    # a part's support vectors index its own training images: another size is another fit
    with pytest.raises(UserError, match="solved on 200 training images, not 400: rerun"):
        svm.load_parts([path], params, 400)


@pytest.mark.parametrize("broken, words", [
    ("not a zip", "not an SVM part (not a zip archive, or truncated): rerun its job"),
    ("text", "not an SVM part (not a zip archive): rerun its job"),
    ("an .npy", "not an SVM part (not a zip archive): rerun its job"),
    ("no pairs", "not an SVM part (no pairs)"),
    ("pair 3-3", "not pairs of digits"),
    ("an intercept short", "not pairs of digits"),
    ("support outside the fit", "not support vectors of the 200 images"),
    ("a coefficient short", "not support vectors of the 200 images"),
    ("coefficients as text", "not support vectors of the 200 images"),
    ("intercepts as text", "not pairs of digits"),
    ("no coefficients", "not support vectors of the 200 images")])
def test_a_broken_part_is_one_line_naming_it(tmp_path, broken, words):
    """A part that is no zip, lacks an array or holds pairs or support vectors that are not
    the fit's: a UserError naming the file, never a traceback or a wrong model."""
    path = tmp_path / "part-0.npz"
    _, y = saved_part(path, 9)
    with np.load(path) as part:
        arrays = {name: part[name] for name in part.files}
    if broken == "not a zip":
        path.write_bytes(b"PK\x03\x04 cut short")
    elif broken == "text":  # np.load's own words would suggest unpickling it
        path.write_text("# README\n")
    elif broken == "an .npy":
        with open(path, "wb") as f:
            np.save(f, arrays["pairs"])
    else:
        if broken == "no pairs":
            del arrays["pairs"]
        elif broken == "pair 3-3":
            arrays["pairs"][0] = (3, 3)
        elif broken == "an intercept short":
            arrays["intercepts"] = arrays["intercepts"][:-1]
        elif broken == "support outside the fit":
            arrays["used_0"][-1] = 200
        elif broken == "a coefficient short":
            arrays["coef_0"] = arrays["coef_0"][:-1]
        elif broken == "coefficients as text":
            arrays["coef_0"] = arrays["coef_0"].astype(str)
        elif broken == "intercepts as text":
            arrays["intercepts"] = arrays["intercepts"].astype(str)
        else:
            del arrays["coef_0"]
        np.savez(path, **arrays)
    with pytest.raises(UserError, match=f"^{path}: ") as raised:
        svm.load_parts([path], PART_PARAMS, len(y))
    assert words in str(raised.value) and "\n" not in str(raised.value)


def test_a_training_set_of_one_digit_is_named_not_an_index_error():
    x, y = np.random.default_rng(0).random((3, 64)), np.array([5, 5, 5])
    # solve serves svm (--train-size) and the tuned SVM's search (its spec's search_size)
    with pytest.raises(UserError, match=r"^the first 3 training images are all 5s: the SVM "
                                        r"separates two digits at least \(train it on more\)$"):
        svm.fit(x, y, 1.0, 0.05)


def test_svm_options_names_a_broken_kept_prediction_and_a_cache_that_is_a_file(tmp_path,
                                                                                capsys):
    """benchmarks/svm_options.py: np.load's words ('pickled data') named no file, and a
    --cache that was a file stopped it on 'File exists'."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import svm_options

    kept = tmp_path / "100-dense.npy"
    kept.write_bytes(b"garbage")
    with pytest.raises(UserError, match=rf"^{re.escape(str(kept))}: not a kept prediction "
                                        r"\(not a NumPy array file\); delete it"):
        svm_options.cached(kept)
    with pytest.raises(SystemExit):
        svm_options.main(["--sizes", "100", "--cache", str(kept)])
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.endswith(
        f"argument --cache: {kept}: a file, not a folder (--help lists the options)\n")
