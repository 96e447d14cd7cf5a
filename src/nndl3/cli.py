"""Command line: `python -m nndl3 <command>`, what every rule of the workflow calls but
`backprop_claims` (a benchmark script, workflow/rules/benchmarks.smk).

Every command reads its inputs, does one step of the data flow and writes its outputs
atomically. Bad input ends it with one line on stderr naming the problem and exit status
1 (2 for a malformed command line, as argparse's).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time

# One BLAS thread per job, set before NumPy loads its BLAS: `snakemake --cores N` then runs
# N jobs side by side, and a run's numbers do not depend on how many threads BLAS picked.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from . import atomic, paths, readers  # noqa: E402
from .arguments import OneLineParser, positive  # noqa: E402
from .errors import UserError, exit_status, sigterm_raises  # noqa: E402

# mnist.SETS but the training set: written here, as importing mnist would put it in every
# command's code digest (a test holds the two together)
EVALUATION_SETS = ("validation", "test")


def print_totals() -> None:
    """The job's last log line: its process's wall and CPU seconds since it started, for
    benchmarks/breakdown.py (a benchmark file samples CPU time and misses short jobs')."""
    from .timing import Timer, log_line

    print(log_line(Timer().totals()))


def cmd_prepare_data(args):
    from . import mnist

    if mnist.prepare(args.out, args.mnist_dir, args.download_dir):
        print(f"wrote {args.out}")
    else:
        print(f"kept {args.out}: it holds these arrays already")


def cmd_train(args):
    import numpy as np

    from . import code, mnist, records, runspec
    from .aggregate import aggregate
    from .timing import Timer, log_line
    from .train import train

    timer = Timer()
    spec = runspec.load(args.spec, args.seeds)
    record_outputs(args, spec["seeds"])
    if spec["engine"] == "wide":
        raise UserError("--spec: engine: 'wide' trains the literature runs "
                        "(config/literature.yaml), with `snakemake --cores 2 literature`")
    with timer("load"):
        data = mnist.load(args.data, np.dtype(spec["dtype"]), ("train", spec["evaluation"]),
                          spec["train_size"])
    results = [{**r, "code": code.digest("train")} for r in train(args.run, spec, data,
                                                                   timer=timer)]
    with timer("write"):  # a record cannot hold the time to write it: the log's line has it
        written = records.write_all(results, args.out_dir)
        for path in written:
            print(f"wrote {path}")
        if args.out_aggregate:  # as `aggregate` would, from the records as written
            atomic.write_json(args.out_aggregate,
                              aggregate([records.read(p) for p in written], written))
            print(f"wrote {args.out_aggregate}")
    print(log_line(timer.rounded() | timer.totals()))


def record_outputs(args, seeds) -> None:
    """`train`'s and `recipe`'s records (one per seed, under --out-dir) writable files,
    none of them an input or the aggregate: a UserError naming the option otherwise,
    before any training."""
    from pathlib import Path

    from .records import record_path

    # INPUTS, not inputs_of: inputs_of imports nndl3.figures, which would put the figure
    # registry into train's code digest (nndl3.code), and a plot change would retrain
    inputs = {Path(value).resolve(): name for name in INPUTS[args.command]
              if isinstance(value := getattr(args, name), str) and existing_file(value)}
    planned = {}
    for seed in seeds:
        path = atomic.writable(record_path(args.out_dir, seed), "--out-dir")
        if path.resolve() in inputs:
            raise UserError(f"--out-dir: {path} is also the input --{inputs[path.resolve()]}: "
                            "it would be overwritten")
        planned[path.resolve()] = seed
    aggregate = getattr(args, "out_aggregate", None)  # train's, not recipe's
    if aggregate and Path(aggregate).resolve() in planned:
        seed = planned[Path(aggregate).resolve()]
        raise UserError(f"--out-aggregate: {aggregate} is also the record of seed "
                        f"{seed} (--out-dir): it would be overwritten")


def cmd_neuron(args):
    from . import neuron, schemas

    settings = {"w": args.w, "b": args.b, "cost": args.cost, "eta": args.eta,
                "epochs": args.epochs}
    problem = schemas.problem(settings, "neuron.schema.yaml")
    if problem:
        raise UserError(f"neuron: {problem}")
    result = neuron.train(args.w, args.b, args.cost, args.eta, args.epochs)
    atomic.write_json(args.out, {"schema": readers.NEURON_SCHEMA,
                                 **{neuron.STORED[k]: v for k, v in settings.items()},
                                 **result})
    print(f"output {result['output'][0]:.4f} -> {result['output'][-1]:.4f}; wrote {args.out}")
    print_totals()


def cmd_svm(args):
    import numpy as np

    from . import mnist, svm
    from .timing import Timer

    timer = Timer()
    with timer("load"):
        sets = ("train", args.evaluation, *args.score)
        data = mnist.load(args.data, np.float64, dict.fromkeys(sets), args.train_size,
                          svm.PIXEL_DIVISOR)
    timer.mark_startup()
    solved = (svm.load_parts(args.parts, svm.BOOK_ERA, len(data["train"][1])) if args.parts
              else None)
    result = {"schema": readers.SVM_SCHEMA,
              **svm.run(data, args.train_size, args.evaluation, score=args.score,
                        solved=solved)}
    timing = timer.rounded()
    result["timing"] = {"startup": timing["startup"], "load": timing["load"], **timer.totals(),
                        "cpu": {k: timing["cpu"][k] for k in ("startup", "load")}}
    atomic.write_json(args.out, result)
    print(f"SVM on {args.train_size} images: {100 * result['accuracy']:.2f} % "
          f"({result['fit_seconds']:.1f} s fit, {result['predict_seconds']:.1f} s predict)")
    print_totals()


def cmd_darkness(args):
    import numpy as np

    from . import baselines, mnist, svm

    # the book's pixel scale (svm.PIXEL_DIVISOR); exact sums in float64 either way
    data = mnist.load(args.data, np.float64, ("train", args.evaluation), None,
                      svm.PIXEL_DIVISOR)
    result = {"schema": readers.BASELINE_SCHEMA, **baselines.darkness(data, args.evaluation)}
    atomic.write_json(args.out, result)
    print(f"average darkness: {result['correct']} of {result['of']} correct; wrote {args.out}")
    print_totals()


def cmd_svm_part(args):
    """One job's share of an SVM fit's pair problems (svm.solve, svm.part_of)."""
    import numpy as np

    from . import mnist, svm

    if not 0 <= args.part < args.parts:
        raise UserError(f"--part {args.part}: not in 0..{args.parts - 1} (--parts {args.parts})")
    from .tuned_inputs import search

    params = search(args.search)["best"] if args.search else svm.BOOK_ERA
    x, y = mnist.load(args.data, np.float64, ("train",), args.train_size,
                      svm.PIXEL_DIVISOR)["train"]
    pairs = svm.part_of(svm.class_pairs(y), args.part, args.parts)
    svm.save_part(args.out, svm.solve(x, y, params["C"], params["gamma"], pairs), params,
                  len(y))
    print(f"{len(pairs)} pair problems of the {len(y)}-image fit (C = {params['C']:g}, "
          f"gamma = {params['gamma']:g}); wrote {args.out}")
    print_totals()


def tuned_spec(text: str) -> dict:
    from . import tuned_inputs

    return tuned_inputs.spec(load_json_arg(text, "--spec"))


def cmd_tuned_svm_candidate(args):
    """One candidate of the tuned SVM's search (baselines.candidate), a job of its own."""
    import numpy as np

    from . import baselines, mnist, svm

    spec = tuned_spec(args.spec)
    if not 0 <= args.candidate < len(spec["grid"]):
        raise UserError(f"--candidate {args.candidate}: not in 0..{len(spec['grid']) - 1} "
                        "(the spec's grid)")
    params = spec["grid"][args.candidate]
    data = mnist.load(args.data, np.float64, ("train", "validation"), spec["search_size"],
                      svm.PIXEL_DIVISOR)
    result = baselines.candidate(data, params, spec["search_size"])
    atomic.write_json(args.out, result)
    print(f"tuned SVM candidate {args.candidate}: C = {params['C']:g}, gamma = "
          f"{params['gamma']:g}: validation accuracy {result['validation_accuracy']}; "
          f"wrote {args.out}")
    print_totals()


def searched_candidates(paths_: list[str], grid: list[dict]) -> list[dict]:
    """The candidates' results (tuned-svm-candidate), in the grid's order, each checked
    against its candidate."""
    if len(paths_) != len(grid):
        raise UserError(f"--candidates: {len(paths_)} files for the grid's {len(grid)} "
                        "candidates")
    from .tuned_inputs import candidate_result

    found = [candidate_result(readers.json_file(path, "tuned SVM candidate"), path)
             for path in paths_]
    for path, params, result in zip(paths_, grid, found, strict=True):
        if {k: result.get(k) for k in params} != params:
            raise UserError(f"{path}: a candidate other than the grid's {params}: rerun its job")
    return found


def cmd_tuned_svm_search(args):
    import numpy as np

    from . import baselines, mnist, svm

    spec = tuned_spec(args.spec)
    if args.candidates:
        result = baselines.select(spec["grid"], searched_candidates(args.candidates,
                                                                    spec["grid"]),
                                  spec["search_size"], spec["budget_cpu_seconds"])
    else:
        data = mnist.load(args.data, np.float64, ("train", "validation"),
                          spec["search_size"], svm.PIXEL_DIVISOR)
        result = baselines.search(data, spec["grid"], spec["search_size"],
                                  spec["budget_cpu_seconds"])
    atomic.write_json(args.out, result)
    print(f"tuned SVM search: C = {result['best']['C']:g}, gamma = "
          f"{result['best']['gamma']:g} of {len(result['tried'])} tried; wrote {args.out}")
    print_totals()


def cmd_tuned_svm_predict(args):
    """The final fit's labels of one evaluation set, a job of its own (tuned-svm reads them)."""
    import numpy as np

    from . import baselines, mnist, svm
    from .tuned_inputs import search

    best = search(args.search)["best"]
    data = mnist.load(args.data, np.float64, ("train", args.evaluation), None,
                      svm.PIXEL_DIVISOR)
    solved = svm.load_parts(args.parts, best, len(data["train"][1])) if args.parts else None
    labels = svm.predict(baselines.tuned_model(data, best, solved=solved),
                         data[args.evaluation][0])
    with atomic.atomic_path(args.out, suffix=".npy") as tmp:
        np.save(tmp, labels)
    print(f"tuned SVM: {len(labels)} {args.evaluation} images predicted; wrote {args.out}")
    print_totals()


def predicted_labels(path: str, images: int):
    """Labels saved by tuned-svm-predict, one per image of its set."""
    from pathlib import Path

    import numpy as np

    if not Path(path).is_file():
        raise UserError(f"{path}: predicted labels missing (run `snakemake` for their job)")
    try:
        labels = np.load(path, allow_pickle=False)
    except readers.NUMPY_FILE_ERRORS as exc:
        reason = readers.numpy_file_reason(exc, archive=False)
        raise UserError(f"{path}: not predicted labels ({reason}); "
                        f"{readers.advice_for(path)}") from None
    if not isinstance(labels, np.ndarray):  # an .npz
        labels.close()
        raise UserError(f"{path}: not predicted labels (an .npz archive, not an .npy array); "
                        f"{readers.advice_for(path)}")
    if labels.shape != (images,) or labels.dtype.kind not in "iu":
        raise UserError(f"{path}: {labels.shape} labels of type {labels.dtype}, not "
                        f"{images} integers; {readers.advice_for(path)}")
    if images and not 0 <= labels.min() <= labels.max() <= 9:
        raise UserError(f"{path}: labels from {labels.min()} to {labels.max()}, not digits "
                        f"0-9; {readers.advice_for(path)}")
    return labels


def cmd_tuned_svm(args):
    import numpy as np

    from . import baselines, mnist, svm
    from .timing import Timer

    timer = Timer()
    spec = tuned_spec(args.spec)
    given = {"validation": args.predicted_validation, "test": args.predicted_test}
    if any(given.values()) and not all(given.values()):
        raise UserError("--predicted-validation, --predicted-test: both or neither")
    data = mnist.load(args.data, np.float64, mnist.SETS, None, svm.PIXEL_DIVISOR)
    from .tuned_inputs import search

    searched = search(args.search, spec) if args.search else None
    solved = (svm.load_parts(args.parts, searched["best"], len(data["train"][1]))
              if args.parts and searched else None)
    if args.parts and not searched:
        raise UserError("--parts: needs --search, the search the parts were solved for")
    predicted = ({name: predicted_labels(path, len(data[name][1]))
                  for name, path in given.items()} if all(given.values()) else None)
    result = {"schema": readers.BASELINE_SCHEMA,
              **baselines.tuned_svm(data, spec["grid"], spec["search_size"],
                                    spec["budget_cpu_seconds"], searched=searched,
                                    solved=solved, predicted=predicted)}
    result["timing"] = timer.totals()  # the job's (a cached rule has no benchmark file)
    atomic.write_json(args.out, result)
    cpu = result["cpu_seconds"]
    print(f"tuned SVM: C = {result['params']['C']:g}, gamma = {result['params']['gamma']:g} "
          f"of {len(result['tried'])} tried ({len(result['skipped'])} skipped): "
          f"{result['correct']} of {result['of']} test images; CPU {cpu['search']:.0f} s "
          f"search + {cpu['final']:.0f} s final fit; wrote {args.out}")
    print_totals()


def cmd_replay(args):
    import numpy as np

    from . import mnist, replay, replay_spec
    from .timing import Timer, log_line

    timer = Timer()
    spec = replay_spec.checked(load_json_arg(args.spec, "--spec"))
    with timer("load"):
        data = mnist.load(args.data, np.float64, replay_spec.data_sets(spec),
                          replay_spec.train_size(spec), mnist.BOOK_PIXEL_DIVISOR)
    with timer("epochs"):
        values = replay.replay_file(spec, data, args.engine)
    atomic.write_json(args.out, values)
    print(f"wrote {args.out}")
    print(log_line(timer.rounded() | timer.totals()))


def cmd_recipe(args):
    """One run of ours trained by the author's recipe (nndl3.recipe), one record per seed."""
    import numpy as np

    from . import mnist, recipe, records, runspec

    spec = runspec.load(args.spec, args.seeds)
    record_outputs(args, spec["seeds"])
    method = recipe.of(spec, f"run {args.run}")
    data = mnist.load(args.data, np.float64, recipe.data_sets(method), method["train_size"],
                      mnist.BOOK_PIXEL_DIVISOR)
    for seed in spec["seeds"]:
        start = time.process_time()
        record = recipe.train(args.run, spec, seed, data, args.engine)
        (path,) = records.write_all([record], args.out_dir)
        print(f"{method['program']} recipe, seed {seed}: {time.process_time() - start:.1f} "
              f"CPU s; wrote {path}")


def cmd_aggregate(args):
    from . import records
    from .aggregate import aggregate

    atomic.write_json(args.out, aggregate([records.read(p) for p in args.records],
                                          args.records))
    print(f"wrote {args.out}")


def load_json_arg(text: str, what: str):
    import json

    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        if os.path.exists(text):  # a path where the JSON itself belongs
            hint = (f"pass its content: {what} \"$(cat {text})\"" if text.endswith(".json")
                    else "the workflow passes one entry of its config, as JSON")
            raise UserError(f"{what}: {text}: takes JSON text, not a file ({hint})") from None
        if not text.lstrip().startswith(("{", "[")):  # a file's name, say, of none there is
            raise UserError(f"{what}: {text!r}: not JSON text (it takes the JSON itself, not "
                            "a file)") from None
        raise UserError(f"{what}: not valid JSON ({exc})") from None


def published(args):
    """The published-run mapping: the workflow's (`--published`), else config/config.yaml's."""
    from .book_runs import Published

    if not args.published:
        return Published.from_file()
    if os.path.exists(args.published):  # a config file, where its mapping belongs
        raise UserError(f"--published: {args.published}: takes JSON text, not a file (leave "
                        f"it out: the command reads {paths.CONFIG}'s `published:` itself)")
    return Published.from_json(args.published)


def book_settings(args):
    """The book's settings of the runs a job reads (`--book-settings`: run -> its settings,
    as workflow_config.book_settings makes them), or None."""
    if not args.book_settings:
        return None
    settings = load_json_arg(args.book_settings, "--book-settings")
    if not isinstance(settings, dict) or not all(isinstance(v, dict)
                                                 for v in settings.values()):
        raise UserError("--book-settings: a mapping of each run to its settings, not "
                        f"{args.book_settings:.60}")
    return settings


def cmd_plot(args):
    from . import figures, plotting

    spec = load_json_arg(args.spec, "--spec")  # checked by figures.draw (figures.checked)
    check_records(args.records)
    paths = {role: getattr(args, role) for role in figures.ROLES}
    try:
        fig = figures.draw(spec, paths, published(args) if args.book else None,
                           book_settings(args))
    except (KeyError, IndexError) as exc:  # inputs that passed their readers, but not these
        given = " ".join(p for role in paths.values() for p in role) or "(none)"
        # which of the two lacks it, only the key tells: a config key is the entry's
        raise UserError(f"{args.out}: the figure's entry (--spec) or its inputs ({given}) "
                        f"lack what drawing it needs ({type(exc).__name__}: {exc})") from None
    plotting.save(fig, args.out)
    print(f"wrote {args.out}")
    print_totals()


def cmd_report(args):
    from . import report

    check_records(args.records)
    document, text = report.build(args.expected, args.calibration, args.curve_calibration,
                                  args.book, args.aggregates, args.svm, args.neuron, args.labels,
                                  args.replay, published(args), args.recipe,
                                  args.recipe_curves, book_settings(args))
    report.write(document, text, args.out_md, args.out_json, args.out_html)
    print(f"{len(document['rows'])} rows, {len(document.get('curves', []))} curves, "
          f"{len(report.failed(document))} outside tolerance; wrote {args.out_md}, "
          f"{args.out_json}" + (f", {args.out_html}" if args.out_html else ""))
    print_totals()


def cmd_check(args):
    """Print the reproduction table; fail naming every row outside its tolerance."""
    from . import report

    table, failed = report.gate(args.report, args.table)
    print(table)
    if failed:
        raise UserError(f"{len(failed)} regenerated number(s), curve(s) or replayed list(s) "
                        "outside tolerance: " + ", ".join(failed))


def cmd_calibrate(args):
    from . import book_runs, calibration

    points, curve_doc = calibration.calibrate(args.expected, args.aggregates,
                                              book_runs.read(args.book, published(args)),
                                              args.labels, args.seeds, args.out,
                                              args.out_curves, args.n_check, args.recipe)
    print(f"seed sd of {len(points['seed_sd'])} rows and per-epoch sd of "
          f"{len(curve_doc['curves'])} published curves over seeds {args.seeds} "
          f"{'(every row: the recipe)' if args.recipe else '(and the seeds rows declare)'}; "
          f"wrote {args.out}, {args.out_curves}")


def cmd_install_calibration(args):
    from . import calibration

    # both read and validated before either is installed: the pair stays matched
    points, curves = calibration.load_points(args.points), calibration.load_curves(args.curves)
    if points["seeds"] != curves["seeds"]:
        raise UserError(f"{args.curves}: seeds {curves['seeds']}, but {args.points} has "
                        f"{points['seeds']}: not one calibration")
    print("\n".join(calibration.install([
        (args.points, args.target_points, points, calibration.load_points),
        (args.curves, args.target_curves, curves, calibration.load_curves)])))


def cmd_calibration_check(args):
    """Re-trained calibration seeds against the stored per-seed values."""
    from . import book_runs, calibration, check

    inputs, seed = calibration.spot_inputs(args.records, args.labels, args.recipe)
    stored = readers.calibration(args.calibration)
    stored_curves = readers.curve_calibration(args.curve_calibration)
    calibration.made_for(stored, args.calibration, args.recipe)
    calibration.made_for(stored_curves, args.curve_calibration, args.recipe)
    if seed not in stored["seeds"]:  # else every row would be a mismatch, not a move
        raise UserError(f"{args.calibration}: seed {seed} of the records is not one of its "
                        f"calibration seeds {stored['seeds']}")
    expected = check.load_expected(args.expected)
    if args.recipe:
        expected = calibration.recipe_rows(expected, inputs.aggregates)
    compared, problems = calibration.spot_check(
        expected, book_runs.read(args.book, published(args)),
        stored, stored_curves, inputs, seed)
    what = "recipe check" if args.recipe else "calibration check"
    for line in problems:
        print(f"MISMATCH {line}")
    if problems:
        redo = "install_recipe" if args.recipe else "install_calibration"
        raise UserError(f"{what}: {len(problems)} stored value(s) differ from seed {seed} "
                        f"re-trained: the code moved a result; recalibrate (`snakemake "
                        f"--cores 2 {redo}`) or find the change")
    print(f"{what}: seed {seed} re-trained gives the stored value of all {compared} "
          "rows and curves that have it")


def cmd_docs(args):
    """Regenerate the marked blocks of the docs, or (--check) fail if one differs."""
    from pathlib import Path

    from . import docs

    differences, notes = docs.run(Path(args.root), args.check)
    for line in notes:
        print(line)
    if args.check and differences:
        raise UserError(f"{len(differences)} generated block(s) or figure copies differ "
                        "from the results: "
                        + "; ".join(differences) + " (run `python -m nndl3 docs` and commit)")
    kept = sum(docs.KEPT in line for line in notes)
    print("generated blocks and figure copies: "
          + (("every one made agrees with the results" if kept else
              "all agree with the results") if args.check else "written")
          + (f"; {kept} not made, their inputs missing (above)" if kept else ""))


# The files each command reads, by argument name: `--check-only` checks that they are there
# (and that a run spec is valid) without running the command, which is how
# tests/test_documented_commands.py runs every documented `python -m nndl3` command.
# `plot` takes one option per role of the figure registry: its inputs are the registry's.
INPUTS = {
    "prepare-data": ("mnist_dir",),
    "train": ("spec", "data"),
    "neuron": (),
    "svm": ("data", "parts"),
    "darkness": ("data",),
    "svm-part": ("data", "search"),
    # its --spec is JSON text
    "tuned-svm": ("data", "search", "parts", "predicted_validation", "predicted_test"),
    "tuned-svm-predict": ("data", "search", "parts"),
    "tuned-svm-search": ("data", "candidates"),
    "tuned-svm-candidate": ("data",),
    "aggregate": ("records",),
    "plot": ("spec", "roles", "records"),  # "roles": one per role of the figure registry
    "replay": ("spec", "data"),
    "recipe": ("spec", "data"),
    "report": ("expected", "calibration", "aggregates", "records", "svm", "neuron", "book",
               "curve_calibration", "labels", "replay", "recipe", "recipe_curves"),
    "check": ("report", "table"),
    "calibrate": ("expected", "aggregates", "book", "labels"),
    "install-calibration": ("points", "curves"),
    "calibration-check": ("records", "expected", "calibration", "curve_calibration", "book",
                          "labels"),
    "docs": ("root",),
    # the literature runs' commands (nndl3.literature_cli)
    "literature-train": ("spec", "data", "config", "literature"),
    "literature-check": ("expected", "records"),
    "literature-probe": ("records",),
}


def inputs_of(command: str) -> tuple[str, ...]:
    """The options of `command` that name its inputs; the plot's roles from the registry
    (imported here, not with this module: every command's code digest would include it)."""
    names = INPUTS[command]
    if "roles" in names:
        from . import figures

        names = tuple(n for n in names if n != "roles") + tuple(figures.ROLES)
    return names


def check_inputs(args) -> list[str]:
    """The inputs of the parsed command line `args`, each checked to be there; a missing one
    is a UserError naming it."""
    from pathlib import Path

    from . import mnist, runspec

    if args.command not in INPUTS:
        raise UserError(f"--check-only: cli.INPUTS does not list the inputs of {args.command!r}")
    checked = []
    for name in inputs_of(args.command):
        value = getattr(args, name)
        if args.command == "prepare-data":  # the IDX folder, or MNIST_DIR, or a download
            folder = mnist.source_folder(value)
            paths = [str(folder / f.name) for f in mnist.FILES.values()] if folder else []
        elif (args.command, name) in (("train", "spec"), ("recipe", "spec")):
            spec = runspec.load(value, args.seeds)  # a file or JSON text, validated
            record_outputs(args, spec["seeds"])
            paths = [] if value.lstrip().startswith("{") else [value]
        elif (args.command, name) == ("literature-train", "spec"):
            from .literature_cli import seed_spec

            seed_spec(args)  # the run, its seed and its spec, from --spec or the configs
            paths = []
        elif (args.command, name) == ("replay", "spec"):  # checked as the command checks it
            from . import replay_spec

            replay_spec.checked(load_json_arg(value, "--spec"))
            paths = []
        elif (args.command, name) == ("plot", "spec"):
            from . import figures

            figures.checked(load_json_arg(value, "--spec"), "--spec")
            paths = []
        else:
            paths = [] if value is None else [value] if isinstance(value, str) else value
        for path in paths:
            if not Path(path).exists():
                hint = " (run `snakemake prepare_data`)" if name == "data" else ""
                raise UserError(f"{path}: --{name.replace('_', '-')}: file missing{hint}")
            if Path(path).is_dir() and name != "root":  # docs --root: the one folder input
                raise UserError(f"{path}: --{name.replace('_', '-')}: a folder, not a file")
        checked += paths
    return checked


def add_data(s) -> None:
    s.add_argument("--data", default=paths.DATA,
                   help="the prepared images (`prepare-data`, `snakemake prepare_data`)")


def add_expected(s) -> None:
    s.add_argument("--expected", default=paths.EXPECTED,
                   help="the book's numbers, the rows checked against them")


def add_calibrated(s) -> None:
    """The rows and the installed calibration they are held to."""
    add_expected(s)
    s.add_argument("--calibration", default=paths.CALIBRATION_INSTALLED,
                   help="each row's seed spread (`snakemake calibrate`)")
    s.add_argument("--curve-calibration", default=paths.CALIBRATION_CURVES_INSTALLED,
                   help="each published curve's spread per epoch (`snakemake calibrate`)")


def add_labels(s) -> None:
    s.add_argument("--labels", default=paths.DATA,
                   help="the prepared data: each evaluation set's digit counts")


def add_records(s) -> None:
    s.add_argument("--records", nargs="*", default=[],
                   help=f"the run records behind the aggregates ({paths.RECORD}), checked, "
                        "not read for numbers (the workflow gives them so that a seed added "
                        "or remade redraws)")


def check_records(given) -> None:
    """Each record given is one `records.read` takes: a broken one is named, not passed
    over because the aggregate made from it reads."""
    from . import records

    for path in given:
        records.read(path)


def add_published(s) -> None:
    s.add_argument("--published", default=None,
                   help="which of our runs repeats each published run, as the workflow passes "
                        f"it (JSON); default: {paths.CONFIG}'s `published:`")


def add_book_settings(s) -> None:
    s.add_argument("--book-settings", default=None,
                   help="the book's settings of the runs read, {run: settings} as JSON (the "
                        f"workflow passes {paths.CONFIG}'s): a run trained otherwise is "
                        "reported and drawn as changed; default: nothing compared")


TUNED_SVM_SPEC = "JSON: {grid: [{C, gamma}, ...], search_size, budget_cpu_seconds}"


def parser() -> argparse.ArgumentParser:
    from . import figures, schemas

    p = OneLineParser(prog="python -m nndl3", description=__doc__.split("\n\n")[0])
    p.add_argument("--check-only", action="store_true",
                   help="parse the command line, check that its inputs are there and its "
                   "outputs writable, run nothing (before the command: python -m nndl3 "
                   "--check-only train ...)")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("prepare-data", help="verify the MNIST files and write the book's split")
    s.add_argument("--out", default=paths.DATA, type=npz_path, help="the prepared images, .npz")
    s.add_argument("--mnist-dir", default=None,
                   help="folder of the four IDX .gz files (default: $MNIST_DIR, else download)")
    s.add_argument("--download-dir", default=paths.DOWNLOADS,
                   help="where the IDX files are downloaded to, without a folder of them")
    s.set_defaults(func=cmd_prepare_data)

    s = sub.add_parser("train", help="train one run spec, one record per seed")
    s.add_argument("--spec", required=True, help="run spec: a YAML/JSON file or JSON text")
    s.add_argument("--run", required=True, type=run_id,
                   help="the run's id, stored in its records")
    add_data(s)
    s.add_argument("--out-dir", required=True,
                   help=f"records go to OUT_DIR/{paths.RECORD_FILE}")
    s.add_argument("--seeds", type=int, nargs="+", help="override the spec's seeds")
    s.add_argument("--out-aggregate", default=None, type=json_path,
                   help="also write the seeds' aggregate here, JSON (as the `aggregate` "
                        "command)")
    s.set_defaults(func=cmd_train)

    s = sub.add_parser("neuron", help="gradient descent on the single neuron of section 1")
    s.add_argument("--w", type=finite, required=True, help="the initial weight")
    s.add_argument("--b", type=finite, required=True, help="the initial bias")
    s.add_argument("--cost", required=True,
                   choices=schemas.load("neuron.schema.yaml")["properties"]["cost"]["enum"],
                   help="the cost the neuron learns by")
    s.add_argument("--eta", type=finite, required=True, help="the learning rate")
    s.add_argument("--epochs", type=positive, required=True,  # the book's: config.yaml's
                   help="gradient-descent steps on the one input 1 -> 0")
    s.add_argument("--out", required=True, type=json_path,
                   help=f"the result, JSON (the rule's: {paths.NEURON})")
    s.set_defaults(func=cmd_neuron)

    s = sub.add_parser("svm", help="the SVM baseline on the first N training images")
    s.add_argument("--train-size", type=int, required=True,
                   help="fit on the first N training images")
    s.add_argument("--evaluation", choices=EVALUATION_SETS, default="validation",
                   help="the set whose accuracy is the result's")
    s.add_argument("--score", choices=EVALUATION_SETS, nargs="*", default=[],
                   help="sets also scored by the same fit (result key `scores`)")
    add_data(s)
    s.add_argument("--parts", nargs="*", default=[],
                   help="the fit's pair problems solved by `svm-part` jobs (.npz)")
    s.add_argument("--out", required=True, type=json_path,
                   help=f"the result, JSON (the rule's: {paths.SVM})")
    s.set_defaults(func=cmd_svm)

    s = sub.add_parser("svm-part", help="one job's share of an SVM fit's pair problems")
    s.add_argument("--train-size", type=int, default=None,
                   help="the first N training images (default: all)")
    s.add_argument("--part", type=int, required=True, help="this job's part, from 0")
    s.add_argument("--parts", type=positive, required=True, help="the jobs the fit is split into")
    s.add_argument("--search", default=None,
                   help="the tuned SVM's search (its best C, gamma); default: the book's SVM")
    add_data(s)
    s.add_argument("--out", required=True, type=part_path,
                   help=f"this part's solved pair problems, .npz (the rules': {paths.SVM_PART}, "
                        f"{paths.TUNED_PART})")
    s.set_defaults(func=cmd_svm_part)

    s = sub.add_parser("darkness", help="chapter 1's average-darkness classifier")
    s.add_argument("--evaluation", choices=EVALUATION_SETS, default="test",
                   help="the set classified")
    add_data(s)
    s.add_argument("--out", required=True, type=json_path,
                   help=f"the result, JSON (the rule's: {paths.BASELINE.format(name='darkness')})")
    s.set_defaults(func=cmd_darkness)

    s = sub.add_parser("tuned-svm", help="an SVM with C and gamma chosen on validation data")
    s.add_argument("--spec", required=True,
                   help=TUNED_SVM_SPEC)
    s.add_argument("--search", default=None,
                   help="the search's result (tuned-svm-search); default: search here")
    s.add_argument("--parts", nargs="*", default=[],
                   help="the final fit's pair problems solved by `svm-part --search` jobs")
    s.add_argument("--predicted-validation", default=None,
                   help="the final fit's validation labels (tuned-svm-predict); default: "
                        "predicted here")
    s.add_argument("--predicted-test", default=None,
                   help="the final fit's test labels (tuned-svm-predict)")
    add_data(s)
    s.add_argument("--out", required=True, type=json_path,
                   help=f"the result, JSON (the rule's: {paths.BASELINE.format(name='tuned_svm')})")
    s.set_defaults(func=cmd_tuned_svm)

    s = sub.add_parser("tuned-svm-predict",
                       help="the tuned SVM's labels of one evaluation set, for tuned-svm")
    s.add_argument("--search", required=True, help="the search's result (tuned-svm-search)")
    s.add_argument("--parts", nargs="*", default=[],
                   help="the final fit's pair problems solved by `svm-part --search` jobs; "
                        "default: fitted here")
    s.add_argument("--evaluation", choices=EVALUATION_SETS, required=True,
                   help="the set whose labels are predicted")
    add_data(s)
    s.add_argument("--out", required=True, type=labels_path,
                   help=f"the labels, .npy (the rule's: {paths.TUNED_PREDICTED})")
    s.set_defaults(func=cmd_tuned_svm_predict)

    s = sub.add_parser("tuned-svm-search", help="the tuned SVM's search for C and gamma")
    s.add_argument("--spec", required=True,
                   help=TUNED_SVM_SPEC)
    s.add_argument("--candidates", nargs="*", default=[],
                   help="the grid's candidates scored by `tuned-svm-candidate` jobs, in "
                        "order; default: score them here")
    add_data(s)
    s.add_argument("--out", required=True, type=json_path,
                   help=f"the search's result, JSON (the rule's: {paths.TUNED_SEARCH})")
    s.set_defaults(func=cmd_tuned_svm_search)

    s = sub.add_parser("tuned-svm-candidate", help="one candidate of the tuned SVM's search")
    s.add_argument("--spec", required=True,
                   help=TUNED_SVM_SPEC)
    s.add_argument("--candidate", type=int, required=True, help="its index in the grid, from 0")
    add_data(s)
    s.add_argument("--out", required=True, type=json_path,
                   help=f"the candidate's score, JSON (the rule's: {paths.TUNED_CANDIDATE})")
    s.set_defaults(func=cmd_tuned_svm_candidate)

    s = sub.add_parser("replay", help="replay one of the author's published runs from his seed")
    s.add_argument("--spec", required=True, help="the file's replay entry, as JSON")
    add_data(s)
    s.add_argument("--engine", choices=["numpy", "numpy-blas", "compiled"], default="numpy",
                   help="numpy: network2's order of sums; numpy-blas: BLAS sums "
                        "over the mini-batch; compiled: nndl3.fast in float64")
    s.add_argument("--out", required=True, type=json_path,
                   help=f"the replayed lists, JSON (the rule's: {paths.REPLAY})")
    s.set_defaults(func=cmd_replay)

    s = sub.add_parser("recipe", help="train one of our runs by the author's recipe "
                       "(network.py or network2), one record per seed")
    s.add_argument("--spec", required=True, help="our run's spec: a YAML/JSON file or JSON text")
    s.add_argument("--run", required=True, type=run_id,
                   help="the run's id, stored in its records")
    add_data(s)
    s.add_argument("--engine", choices=["compiled", "numpy"], default="compiled",
                   help="compiled: nndl3.fast in float64; numpy: network2's order "
                        "of sums")
    s.add_argument("--out-dir", required=True,
                   help=f"records go to OUT_DIR/{paths.RECORD_FILE}")
    s.add_argument("--seeds", type=int, nargs="+", help="override the spec's seeds")
    s.set_defaults(func=cmd_recipe)

    s = sub.add_parser("aggregate", help="combine the seeds of one run")
    s.add_argument("--records", nargs="+", required=True,
                   help=f"the run's records, one per seed ({paths.RECORD})")
    s.add_argument("--out", required=True, type=json_path,
                   help=f"the seeds' aggregate, JSON (the rule's: {paths.AGGREGATE})")
    s.set_defaults(func=cmd_aggregate)

    s = sub.add_parser("plot", help="draw one figure from its config entry")
    s.add_argument("--spec", required=True, help="the figure's config entry, as JSON")
    for role in figures.ROLES:  # one option per input role of the figure registry
        s.add_argument(f"--{role}", nargs="*", default=[], help=figures.ROLES[role].help)
    add_records(s)
    add_published(s)
    add_book_settings(s)
    s.add_argument("--out", required=True, type=png_path, help="the figure, .png")
    s.set_defaults(func=cmd_plot)

    s = sub.add_parser("report", help="regenerated numbers and curves vs the book, with "
                       "tolerances")
    add_calibrated(s)
    s.add_argument("--recipe", default=None,
                   help=f"the author's recipe over its seeds ({paths.RECIPE_INSTALLED}): the "
                   "book's draw's spread, and the comparison of our network with the recipe")
    s.add_argument("--recipe-curves", default=None,
                   help="the recipe's published curves over its seeds "
                   f"({paths.RECIPE_CURVES_INSTALLED})")
    s.add_argument("--aggregates", nargs="+", default=[],
                   help=f"the runs' aggregates ({paths.AGGREGATE})")
    add_records(s)
    s.add_argument("--svm", nargs="*", default=[],
                   help=f"the SVM and baseline results the rows read ({paths.SVM}, "
                        f"{paths.BASELINE})")
    s.add_argument("--neuron", nargs="*", default=[],
                   help=f"the single neuron's results ({paths.NEURON})")
    s.add_argument("--labels", default=None,
                   help=f"the prepared data ({paths.DATA}): each evaluation set's digit "
                   "counts, for rows that need them")
    s.add_argument("--book", nargs="*", default=[],
                   help="the book's published runs: adds the curve check")
    s.add_argument("--replay", nargs="*", default=[],
                   help=f"the published runs replayed ({paths.REPLAY.format(file='*.json')}, "
                   "with --book): adds the exact check")
    add_published(s)
    add_book_settings(s)
    s.add_argument("--out-md", default=paths.REPRODUCTION_MD, type=md_path,
                   help="the table, markdown")
    s.add_argument("--out-json", default=paths.REPRODUCTION_JSON, type=json_path,
                   help="every row with its numbers, JSON (what `check` and `docs` read)")
    s.add_argument("--out-html", default=None, type=html_path, help="also the table as HTML")
    s.set_defaults(func=cmd_report)

    s = sub.add_parser("check", help="print the reproduction table; exit 1 if a row fails")
    s.add_argument("--report", default=paths.REPRODUCTION_JSON,
                   help="the report's rows (`report --out-json`)")
    s.add_argument("--table", default=paths.REPRODUCTION_MD,
                   help="the report's table, printed (`report --out-md`)")
    s.set_defaults(func=cmd_check)

    s = sub.add_parser("calibrate", help="measure the seed spread of every row and published "
                       "curve over the calibration seeds")
    add_expected(s)
    s.add_argument("--aggregates", nargs="+", required=True,
                   help=paths.CALIBRATION_AGGREGATE.format(run="*"))
    add_published(s)
    s.add_argument("--book", nargs="+", required=True, help="book_runs/*.json")
    add_labels(s)
    s.add_argument("--seeds", type=int, nargs="+", required=True,
                   help="the calibration seeds (config key calibration_seeds)")
    s.add_argument("--n-check", type=int, required=True,
                   help="the number of the check's seeds (config key seeds), which the "
                        "curves' thresholds are simulated for")
    s.add_argument("--recipe", action="store_true",
                   help="the aggregates are the author's recipe's (snakemake recipe_seeds): "
                        "every row over --seeds, rows of runs without a recipe left out")
    s.add_argument("--out", default=paths.CALIBRATION_POINTS, type=yaml_path,
                   help="each row's seed spread, YAML")
    s.add_argument("--out-curves", default=paths.CALIBRATION_CURVES, type=json_path,
                   help="each published curve's spread per epoch, JSON")
    s.set_defaults(func=cmd_calibrate)

    s = sub.add_parser("install-calibration",
                       help="copy a calibration into config/ (kept if its values are the same)")
    s.add_argument("--points", default=paths.CALIBRATION_POINTS,
                   help="the rows' spread (`calibrate --out`)")
    s.add_argument("--curves", default=paths.CALIBRATION_CURVES,
                   help="the curves' spread (`calibrate --out-curves`)")
    s.add_argument("--target-points", default=paths.CALIBRATION_INSTALLED,
                   help="where the rows' spread is installed")
    s.add_argument("--target-curves", default=paths.CALIBRATION_CURVES_INSTALLED,
                   help="where the curves' spread is installed")
    s.set_defaults(func=cmd_install_calibration)

    s = sub.add_parser("calibration-check", help="one re-trained calibration seed against "
                       "the stored per-seed values; exit 1 on any difference")
    s.add_argument("--records", nargs="+", required=True,
                   help="one re-trained record per calibrated run, all of one seed")
    add_calibrated(s)
    add_published(s)
    s.add_argument("--book", nargs="+", required=True, help="book_runs/*.json")
    add_labels(s)
    s.add_argument("--recipe", action="store_true",
                   help=f"re-trained recipe seeds against {paths.RECIPE_INSTALLED} and "
                        f"{paths.RECIPE_CURVES_INSTALLED} (pass them as --calibration, "
                        "--curve-calibration): rows without a recipe skipped")
    s.set_defaults(func=cmd_calibration_check)
    s = sub.add_parser("docs", help="regenerate the numbers of README.md and docs/ from the "
                       "results (--check: fail if a committed block differs)")
    s.add_argument("--check", action="store_true", help="compare, write nothing")
    s.add_argument("--root", default=".", help="the repository")
    s.set_defaults(func=cmd_docs)

    from .literature_cli import add_commands  # the literature runs (issue 27), apart

    add_commands(sub)
    return p


def finite(text: str) -> float:
    """argparse's type for a number that must be finite (JSON has no NaN)."""
    import math

    value = float(text)
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text}: not a finite number")
    return value


# a run's id, as the config names runs (workflow/schemas/config.schema.yaml's pattern):
# it is a folder name in results/, a wildcard value and a key of the check
RUN_ID = "[A-Za-z][A-Za-z0-9_]*"


def run_id(text: str) -> str:
    """argparse's type for a run's id."""
    if not re.fullmatch(RUN_ID, text):
        raise argparse.ArgumentTypeError(f"{text!r}: a run's id is a letter, then letters, "
                                         "digits or _")
    return text


def png_path(text: str) -> str:
    """argparse's type for a figure's file: PNG is what plotting writes (a .pdf would hold
    PNG bytes)."""
    return suffixed(text, ".png", "figures are written as PNG")


def json_path(text: str) -> str:
    """argparse's type for a JSON result (a .yaml would hold JSON)."""
    return suffixed(text, ".json", "the result is written as JSON")


def npz_path(text: str) -> str:
    """argparse's type for the prepared data: NumPy's .npz (a .txt would hold its bytes)."""
    return suffixed(text, ".npz", "the prepared data is written as .npz")


def md_path(text: str) -> str:
    """argparse's type for a markdown table."""
    return suffixed(text, ".md", "the table is written as markdown")


def html_path(text: str) -> str:
    """argparse's type for the HTML table."""
    return suffixed(text, ".html", "the table is written as HTML")


def yaml_path(text: str) -> str:
    """argparse's type for the calibration's points: YAML."""
    return suffixed(text, ".yaml", "the calibration is written as YAML")


def part_path(text: str) -> str:
    """argparse's type for an SVM part: NumPy's .npz."""
    return suffixed(text, ".npz", "an SVM part is written as .npz")


def labels_path(text: str) -> str:
    """argparse's type for predicted labels: NumPy's .npy."""
    return suffixed(text, ".npy", "predicted labels are written as .npy")


def suffixed(text: str, suffix: str, what: str) -> str:
    """`text` if its suffix is `suffix` or none, else argparse's error saying `what`."""
    given = os.path.splitext(text)[1]
    if given.lower() not in ("", suffix):
        raise argparse.ArgumentTypeError(f"{text}: {what}, not {given}")
    return text


def is_output(name: str) -> bool:
    """The options that name what a command writes: --out..., --target-... (installed
    files) and --checkpoint."""
    return name.startswith(("out", "target_")) or name == "checkpoint"


def existing_file(text: str) -> bool:
    """Whether `text` names a file (an option's JSON text may be too long a name)."""
    from pathlib import Path

    try:
        return Path(text).is_file()
    except OSError:
        return False


def check_outputs(args) -> None:
    """Every output option writable now, not after the work, and none of them one of the
    command's inputs (it would be overwritten): a UserError naming the option and path
    otherwise. `--out-dir` options name a folder."""
    from pathlib import Path

    inputs = {}
    for name, value in vars(args).items():
        if is_output(name) or name == "func":
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and existing_file(item):
                inputs.setdefault(Path(item).resolve(), "--" + name.replace("_", "-"))
    written = {}
    for name, value in vars(args).items():
        if not is_output(name) or not isinstance(value, str):
            continue
        option = "--" + name.replace("_", "-")
        if name.endswith("_dir"):
            atomic.writable_folder(value, option)
            continue
        atomic.writable(value, option)
        where = Path(value).resolve()
        if where in inputs:
            raise UserError(f"{option}: {value} is also the input {inputs[where]}: it would "
                            "be overwritten")
        if where in written:
            raise UserError(f"{option}: {value} is also {written[where]}")
        written[where] = option


class QuietWhenReaderLeaves:
    """stdout while a command runs. A command's work is the files it writes, its stdout
    only progress: when the reader of a pipe leaves (`train ... | head -1`), the command
    goes on silently instead of dying with its run unwritten. stdout's descriptor then
    points to os.devnull, so that the lines still buffered are not raised again at exit."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._to_devnull()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._to_devnull()

    def _to_devnull(self) -> None:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, self._stream.fileno())
        os.close(devnull)

    def __getattr__(self, name):
        return getattr(self._stream, name)


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    if sys.stdout is None:  # started with stdout closed: nothing to guard
        return run(args)
    stdout, sys.stdout = sys.stdout, QuietWhenReaderLeaves(sys.stdout)
    try:
        return run(args)
    finally:
        sys.stdout.flush()  # what is still buffered, through the guard, not at exit without it
        sys.stdout = stdout


def run(args) -> int:
    """Run the parsed command; bad input, Ctrl-C and failed file operations are one line on
    stderr and a non-zero status (errors.exit_status)."""
    def command():
        if args.check_only:
            inputs = check_inputs(args)
            check_outputs(args)
            print(f"{args.command}: arguments parsed, {len(inputs)} input(s) present, "
                  "outputs writable")
        else:
            check_outputs(args)
            args.func(args)

    with sigterm_raises():  # a command waits on no child of its own (git rev-parse at most)
        return exit_status(command, args.command)
