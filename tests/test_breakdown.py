"""benchmarks/breakdown.py: a pipeline's CPU by kind and its critical path, from its jobs'
own times (the numbers of docs/performance.md's generated block)."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import breakdown  # noqa: E402

from nndl3 import paths, timing  # noqa: E402


def job(name, inputs, outputs, wall):
    return {"name": name, "rule": name.split()[0], "input": inputs, "output": outputs,
            "wall": wall}


def test_the_critical_path_is_the_longest_chain_of_job_times():
    jobs = [job("prepare_data", [], ["d"], 0.0),
            job("train a", ["d"], ["a"], 30.0), job("train b", ["d"], ["b"], 50.0),
            job("svm_part 0", ["d"], ["p0"], 20.0), job("svm_part 1", ["d"], ["p1"], 40.0),
            job("svm 50000", ["d", "p0", "p1"], ["s"], 15.0),
            job("plot x", ["a", "s"], ["x"], 2.0), job("plot y", ["b"], ["y"], 1.0),
            job("all", ["x", "y"], [], 0.0)]
    seconds, path = breakdown.critical_path(jobs)
    assert seconds == 57.0  # svm_part 1 (40) -> svm (15) -> plot x (2), not train b + plot y
    assert [p["job"] for p in path] == ["svm_part 1", "svm 50000", "plot x"]
    # then the chains that end elsewhere: train b -> plot y, train a, svm_part 0
    found = breakdown.chains(jobs, n=4)
    assert found[0] == (seconds, path)
    assert [(s, [p["job"] for p in chain]) for s, chain in found[1:]] == [
        (51.0, ["train b", "plot y"]), (30.0, ["train a"]), (20.0, ["svm_part 0"])]


def test_a_jobs_time_is_its_own_where_it_logged_it(tmp_path):
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "j.log").write_text(
        "wrote x\n" + timing.log_line({"total": 3.5, "total_cpu": 2.25}) + "\n")
    (tmp_path / "j.tsv").write_text("s\th:m:s\tcpu_time\n4.0\t0:00:04\t1.0\n")
    both = {"log": "logs/j.log", "benchmark": "j.tsv"}
    # the benchmark's wall time (Snakemake's, from outside), the log's exact CPU time
    assert breakdown.job_seconds(tmp_path, both) == {"wall": 4.0, "cpu": 2.25}
    assert breakdown.job_seconds(tmp_path, {"log": "logs/j.log"}) == {"wall": 3.5, "cpu": 2.25}
    assert breakdown.job_seconds(tmp_path, {"benchmark": "j.tsv"}) == {"wall": 4.0, "cpu": 1.0}
    assert breakdown.job_seconds(tmp_path, {"log": "logs/none.log"}) == {}


def test_the_job_table_keeps_only_the_planned_jobs(tmp_path):
    """A tree rebuilt in part holds the files of runs its config no longer has."""
    for name in ("kept", "stale"):
        tsv = tmp_path / paths.BENCHMARK.format(rule="train", name=name)
        tsv.parent.mkdir(parents=True, exist_ok=True)
        tsv.write_text("s\th:m:s\tcpu_time\n4.0\t0:00:04\t1.0\n")
    svm = tmp_path / paths.SVM.format(n="100")
    svm.parent.mkdir(parents=True)
    svm.write_text('{"fit_seconds": 1.0, "predict_seconds": 0.5, "timing": {"total": 2.0}}')
    planned = [{"rule": "train", "wildcards": "run=kept"}, {"rule": "svm", "wildcards": "n=100"}]
    assert [r["job"] for r in breakdown.jobs(tmp_path)] == ["train kept", "train stale",
                                                            "svm 100"]
    assert [r["job"] for r in breakdown.jobs(tmp_path, "wall", planned)] == ["train kept",
                                                                             "svm 100"]


def test_a_training_jobs_cpu_is_split_by_its_phases(tmp_path):
    """From the job's log (its last timing line: every phase, the write too)."""
    (tmp_path / "t.log").write_text("epoch lines\n" + timing.log_line({"cpu": {
        "startup": 0.5, "load": 0.25, "augment": 0.0, "sparse": 0.25, "epochs": 6.0,
        "monitoring": 2.0, "write": 0.5}, "total_cpu": 9.0}) + "\n")
    kinds = breakdown.training_kinds(tmp_path, {"log": "t.log"})
    startup = next(k for k in kinds if k.startswith("start-up"))
    # what no phase counts (the job's CPU beyond 9.5 s) is no kind's: the untimed rest
    assert kinds == {"epochs": 6.0, "monitoring": 2.0, startup: 1.0,
                     "writing records and the aggregate": 0.5}


def test_every_phase_a_training_job_times_is_a_kind_of_the_breakdown():
    """A phase added to nndl3.timing would otherwise land in no kind, and its seconds in
    the untimed rest."""
    counted = [phase for phases in breakdown.TRAIN_KINDS.values() for phase in phases]
    assert sorted(counted) == sorted(timing.PHASES)


def test_every_rule_the_breakdown_sorts_into_a_kind_is_a_rule_of_the_workflow(workflow):
    """A rule renamed in the workflow but not here would fall into "other jobs" unseen."""
    assert set(breakdown.KIND_OF_RULE) <= {r.name for r in workflow.rules}


def test_the_pipeline_timer_measures_snakemakes_own_process_apart():
    """pipeline.run_timed: the CPU of Snakemake's own process (the breakdown's row of it)
    is measured apart from the children's total, which contains it; its exit status is
    Snakemake's."""
    import pipeline

    timed = pipeline.run_timed(["--version"])
    assert timed["returncode"] == 0
    assert 0 < timed["snakemake_cpu_seconds"] <= timed["cpu_seconds"]
    assert pipeline.run_timed(["--no-such-option"])["returncode"] != 0


def test_a_pipeline_record_without_snakemakes_own_cpu_is_refused_in_one_line(tmp_path):
    (tmp_path / paths.PIPELINE).parent.mkdir(parents=True)
    (tmp_path / paths.PIPELINE).write_text('{"seconds": 400, "cpu_seconds": 800.0}\n')
    with pytest.raises(SystemExit, match="has no snakemake_cpu_seconds: an older") as caught:
        breakdown.stages(tmp_path)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("content, words", [
    (None, "results/pipeline.json missing: `python benchmarks/pipeline.py` measures it"),
    ("{", "results/pipeline.json: not readable JSON"),
    ("[1]", "results/pipeline.json: not a measurement of seconds, cpu_seconds in seconds"),
    ('{"seconds": 0, "cpu_seconds": 1}', "results/pipeline.json: not a measurement of"),
    ('{"seconds": 400, "cpu_seconds": "x"}', "results/pipeline.json: not a measurement of"),
    ('{"seconds": "x", "cpu_seconds": 1}', "results/pipeline.json: not a measurement of")])
def test_a_missing_or_broken_measurement_is_one_line_naming_its_script(tmp_path, content,
                                                                      words):
    if content is not None:
        (tmp_path / paths.PIPELINE).parent.mkdir(parents=True)
        (tmp_path / paths.PIPELINE).write_text(content)
    with pytest.raises(SystemExit) as stop:
        breakdown.stages(tmp_path)
    assert str(stop.value).startswith(f"error: {tmp_path}/{words}") and "\n" not in str(
        stop.value)


def test_the_reference_epoch_measured_after_the_pipeline_is_reported_beside_it(tmp_path):
    """breakdown --after: the pipeline in the second measurement too; the docs' sentence
    from those numbers, and none without them (the targets stay judged on the first)."""
    from nndl3 import docs

    after = tmp_path / paths.REFERENCE_EPOCH_AFTER
    after.parent.mkdir(parents=True)
    after.write_text('{"seconds_per_epoch": 2.5}\n')
    assert breakdown.reference_after(tmp_path, Path(paths.REFERENCE_EPOCH_AFTER), 450) == {
        "reference_epoch_seconds_after": 2.5, "pipeline_in_reference_epochs_after": 180.0}
    assert breakdown.reference_after(tmp_path, None, 450) == {}
    assert docs.reference_drift({"reference_epoch_seconds_after": 2.5,
                                 "pipeline_in_reference_epochs_after": 180.0}) == (
        " Measured again after the pipeline: 2.50 CPU s, by which the pipeline took 180.")
    assert docs.reference_drift({}) == ""
    after.unlink()
    with pytest.raises(SystemExit, match="missing: `python benchmarks/reference_epoch.py "
                                         "--after` measures it"):
        breakdown.reference_after(tmp_path, Path(paths.REFERENCE_EPOCH_AFTER), 450)


def test_the_pipeline_target_line_follows_the_numbers():
    from nndl3 import docs

    text = docs.pipeline_targets({"pipeline_in_reference_epochs": 175.2,
                                  "critical_path_in_reference_epochs": 14.1})
    assert "the pipeline **175 reference epochs** (at most 80: not met)" in text
    assert "its critical path **14** (at most 25: met)" in text
    text = docs.pipeline_targets({"pipeline_in_reference_epochs": 79.0,
                                  "critical_path_in_reference_epochs": 26.0})
    assert "(at most 80: met)" in text and "(at most 25: not met)" in text


def test_the_design_doc_states_the_pipeline_targets():
    from nndl3 import docs

    design = " ".join((Path(__file__).resolve().parents[1] / "docs" / "design.md")
                      .read_text().split())
    goal = docs.PIPELINE_TARGETS
    assert (f"with `--cores 2`: at most {goal['reference_epochs_at_most']} reference epochs "
            "of wall time") in design
    assert f"its critical path at most {goal['critical_path_at_most']};" in design


def test_a_training_jobs_row_takes_its_phases_from_its_log(tmp_path):
    """Whatever records its folder holds (a seed no longer configured's among them): the
    log's line; on the CPU clock its exact total too, on the wall clock none (the
    benchmark file's)."""
    log = tmp_path / paths.TRAIN_LOG.format(run="r")
    log.parent.mkdir(parents=True)
    log.write_text(timing.log_line({"epochs": 4.0, "write": 0.5, "total": 6.0, "cpu": {
        "epochs": 3.0, "write": 0.25}, "total_cpu": 5.0}) + "\n")
    assert breakdown.train_phases(tmp_path, "r", "cpu") == {"epochs": 3.0, "write": 0.25,
                                                             "total": 5.0}
    assert breakdown.train_phases(tmp_path, "r", "wall") == {"epochs": 4.0, "write": 0.5}
    assert breakdown.train_phases(tmp_path, "absent", "cpu") == {}


def test_a_broken_config_is_named_when_the_jobs_are_planned(tmp_path):
    """target_times.py plans each target's jobs by `snakemake -n`: a broken config stopped
    it on `unexpected CalledProcessError`, Snakemake's own line (the key) swallowed."""
    from nndl3.errors import UserError
    from tools.doc_commands import clean_checkout

    checkout = clean_checkout(tmp_path / "checkout")
    config = checkout / paths.CONFIG
    config.write_text(config.read_text().replace("eta: 3.0", "eta: -3.0", 1))
    with pytest.raises(UserError, match=r"^`snakemake -n --forceall all` in .* failed: "
                                        r"invalid config .*: runs\.quad_30\.eta: -3\.0 is less "):
        breakdown.planned_jobs(checkout)


@pytest.mark.parametrize("name, content, read, words", [
    ("job.tsv", "", breakdown.benchmark,
     "unreadable as a Snakemake benchmark file (ValueError: not enough values"),
    ("job.tsv", "s\tcpu_time\nabc\t1\n", breakdown.benchmark,
     "unreadable as a Snakemake benchmark file (ValueError: could not convert"),
    ("logs/train/xent_30.log", 'timing {"total": 1', lambda path: breakdown.train_phases(
        path.parents[2], "xent_30", "wall"), "unreadable as a job log's timing line (JSON"),
    ("results/svm/100.json", '{"timing": {}}', lambda path: breakdown.svm_phases(
        path.parents[2], "100", "wall"), "unreadable as an SVM result (KeyError: 'fit_"),
    # a number that is text stopped the breakdown on 'unexpected TypeError' when subtracted
    ("results/svm/100.json", '{"fit_seconds": "2", "predict_seconds": 1}',
     lambda path: breakdown.svm_phases(path.parents[2], "100", "wall"),
     "unreadable as an SVM result (TypeError: fit: '2' is not a number of seconds)"),
    ("results/svm/100.json", '{"timing": {"total_cpu": [1]}}',
     lambda path: breakdown.svm_phases(path.parents[2], "100", "cpu"),
     "unreadable as an SVM result (TypeError: total: [1] is not a number"),
    ("logs/train/xent_30.log", 'timing {"cpu": {"epochs": "1"}}',
     lambda path: breakdown.train_phases(path.parents[2], "xent_30", "cpu"),
     "unreadable as a job log's timing line (TypeError: epochs: '1' is not a number"),
])
def test_a_broken_job_file_is_named_in_one_line(tmp_path, name, content, read, words):
    """They stopped the breakdown on 'unexpected ValueError', naming no file."""
    from nndl3.errors import UserError

    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    with pytest.raises(UserError) as caught:
        read(path)
    assert str(caught.value).startswith(f"{path}: {words}"), str(caught.value)
    assert str(caught.value).endswith("; rerun its job") and "\n" not in str(caught.value)


@pytest.mark.parametrize("line", ["[1]", '"x"', '{"cpu": [1]}'])
def test_a_job_log_whose_timing_line_is_no_mapping_is_named(tmp_path, line):
    from nndl3 import timing
    from nndl3.errors import UserError

    log = tmp_path / paths.TRAIN_LOG.format(run="r")
    log.parent.mkdir(parents=True)
    log.write_text(f"epoch 0\n{timing.LOG_PREFIX}{line}\n")
    with pytest.raises(UserError, match=f"^{log}: unreadable as a job log's timing line"):
        breakdown.train_phases(tmp_path, "r", "cpu")


@pytest.mark.parametrize("content, words", [
    ("", "figures config is empty"),
    ("[1]", "figures config must be a mapping"),
    ("x: 1\n", "figures config lacks key(s) 'experiments'"),
    ("experiments: 5\n", "experiments: 5 is not a mapping of target to its figures"),
    ("experiments: [\n", "figures config is not valid YAML"),
])
def test_target_times_names_a_broken_figures_config(tmp_path, content, words):
    """They stopped target_times.py on 'unexpected TypeError/KeyError' or a YAML traceback."""
    import target_times

    from nndl3.errors import UserError

    path = tmp_path / paths.FIGURES_CONFIG
    path.parent.mkdir(parents=True)
    path.write_text(content)
    with pytest.raises(UserError, match=f"^{path}: ") as caught:
        target_times.estimates(tmp_path)
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_a_target_s_estimate_is_no_less_than_its_longest_chain_of_jobs():
    """Two cores would share 12 job-s as 6 s, but b needs a's output: 3 + 4 s one after
    the other, whatever the cores (the plot after its training job, in the README's table)."""
    import target_times

    jobs = [{"name": "a", "input": [], "output": ["x"], "wall": 3.0},
            {"name": "b", "input": ["x"], "output": ["y"], "wall": 4.0},
            {"name": "c", "input": [], "output": ["z"], "wall": 5.0}]
    assert target_times.timing(jobs) == {"job_seconds": 12.0, "longest": "c",
                                         "longest_seconds": 5.0, "chain_seconds": 7.0,
                                         "estimate_seconds": 7.0}
