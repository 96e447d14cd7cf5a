"""Command line: `python -m nndl3 <command>`, the one entry point the workflow's rules call.

Every command reads its inputs, does one step of the data flow and writes its outputs
atomically. Bad input ends it with one line on stderr naming the problem and exit 1.
"""

from __future__ import annotations

import argparse
import os
import sys

# One BLAS thread per job, set before NumPy loads its BLAS: `snakemake --cores N` then runs
# N jobs side by side, and a run's numbers do not depend on how many threads BLAS picked.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from . import atomic, readers  # noqa: E402
from .errors import UserError  # noqa: E402


def cmd_prepare_data(args):
    from . import mnist

    path = mnist.prepare(args.out, args.mnist_dir, args.download_dir)
    print(f"wrote {path}")


def cmd_train(args):
    import json

    import numpy as np

    from . import mnist, records, runspec
    from .timing import Timer
    from .train import train

    timer = Timer()
    spec = runspec.load(args.spec, args.seeds)
    with timer("load"):
        data = mnist.load(args.data, np.dtype(spec["dtype"]), ("train", spec["evaluation"]),
                          spec["train_size"])
    results = train(args.run, spec, data, timer=timer)
    with timer("write"):  # a record cannot hold the time to write it: the log's line has it
        for path in records.write_all(results, args.out_dir):
            print(f"wrote {path}")
    print(f"timing {json.dumps(timer.rounded() | timer.totals())}")


def cmd_neuron(args):
    from . import neuron

    result = neuron.train(args.w, args.b, args.cost, args.eta, args.epochs)
    atomic.write_json(args.out, {"schema": readers.NEURON_SCHEMA, "w0": args.w, "b0": args.b,
                                 "cost_kind": args.cost, "eta": args.eta,
                                 "epochs": args.epochs, **result})
    print(f"output {result['output'][0]:.4f} -> {result['output'][-1]:.4f}; wrote {args.out}")


def cmd_svm(args):
    import numpy as np

    from . import mnist, svm
    from .timing import Timer

    timer = Timer()
    with timer("load"):
        data = mnist.load(args.data, np.float64, ("train", args.evaluation), args.train_size,
                          svm.PIXEL_DIVISOR)
    timer.mark_startup()
    result = {"schema": readers.SVM_SCHEMA, **svm.run(data, args.train_size, args.evaluation)}
    timing = timer.rounded()
    result["timing"] = {"startup": timing["startup"], "load": timing["load"], **timer.totals(),
                        "cpu": {k: timing["cpu"][k] for k in ("startup", "load")}}
    atomic.write_json(args.out, result)
    print(f"SVM on {args.train_size} images: {100 * result['accuracy']:.2f} % "
          f"({result['fit_seconds']:.1f} s fit, {result['predict_seconds']:.1f} s predict)")


def cmd_aggregate(args):
    from . import records
    from .aggregate import aggregate

    atomic.write_json(args.out, aggregate([records.read(p) for p in args.records]))
    print(f"wrote {args.out}")


def load_json_arg(text: str, what: str):
    import json

    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"{what}: not valid JSON ({exc})") from None


def cmd_plot(args):
    from . import book_runs, plotting

    spec = load_json_arg(args.spec, "--spec")
    if not isinstance(spec, dict) or "family" not in spec:
        raise UserError("--spec: a figure entry with a 'family' key is expected")
    inputs = [readers.result(p) for p in args.inputs if p.endswith(".json")]
    book = book_runs.read(args.book)
    try:
        fig = draw(spec, inputs, args.inputs, book)
    except (KeyError, IndexError) as exc:  # inputs that passed their readers, but not these
        raise UserError(f"{args.out}: the inputs {' '.join(args.inputs) or '(none)'} lack "
                        f"what the figure's entry asks for ({type(exc).__name__}: {exc})") from None
    plotting.save(fig, args.out)
    print(f"wrote {args.out}")


def draw(spec: dict, inputs: list[dict], paths: list[str], book: dict):
    """One figure of `spec`'s family from its checked inputs and the book's published runs."""
    from . import plotting

    by_schema = {s: [r for r in inputs if r["schema"] == s] for s in readers.KEYS}
    aggregates = {a["run"]: a for a in by_schema[readers.AGGREGATE_SCHEMA]}
    family = spec["family"]
    if family == "curves":
        return plotting.styled(plotting.curves, spec, aggregates, book)
    if family == "sweep":
        svm_results = sorted(by_schema[readers.SVM_SCHEMA], key=lambda r: r["train_size"])
        return plotting.styled(plotting.sweep, spec, aggregates, svm_results, book)
    if family == "neuron":
        return plotting.styled(plotting.neuron, spec, by_schema[readers.NEURON_SCHEMA][0])
    if family == "digit":
        import numpy as np

        from . import augment, mnist

        pixels = mnist.load(paths[0], np.float64)["train"][0][spec["index"]]
        return plotting.styled(plotting.digit, spec, augment.rotate_image(pixels, spec["degrees"]))
    if family == "function":
        return plotting.styled(plotting.function, spec)
    raise UserError(f"--spec: family: unknown figure family {family!r}")


def cmd_report(args):
    from . import check, curves

    extra = curves.section(args.book, args.curve_calibration) if args.book else None
    rows = check.report(args.expected, args.calibration,
                        (args.aggregates, args.svm, args.neuron), args.out_md, args.out_json,
                        extra)
    failed = sum(r["status"] == "FAIL" for r in rows)
    print(f"{len(rows)} rows, {failed} outside tolerance; wrote {args.out_md}, {args.out_json}")


def cmd_calibrate(args):
    from . import check

    calibration = check.calibrate(args.expected, args.aggregates, args.out)
    print(f"seed sd of {len(calibration['seed_sd'])} quantities over seeds "
          f"{calibration['seeds']}; wrote {args.out}")


def cmd_calibrate_curves(args):
    from . import book_runs, curves

    calibration = curves.calibrate(args.aggregates, book_runs.read(args.book), args.out)
    print(f"per-epoch seed sd of {len(calibration['curves'])} published curves over seeds "
          f"{calibration['seeds']}; wrote {args.out}")


def cmd_gate(args):
    """Print the reproduction table; fail naming every row outside its tolerance."""
    report = readers.reproduction(args.report)
    print(readers.text(args.table, "reproduction table"))
    failed = [r["id"] for r in report["rows"] + report.get("curves", [])
              if r["status"] == "FAIL"]
    if failed:
        raise UserError(f"{len(failed)} regenerated number(s) or curve(s) outside tolerance: "
                        + ", ".join(failed))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m nndl3", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("prepare-data", help="verify the MNIST files and write the book's split")
    s.add_argument("--out", default="data/mnist.npz")
    s.add_argument("--mnist-dir", default=None,
                   help="folder of the four IDX .gz files (default: $MNIST_DIR, else download)")
    s.add_argument("--download-dir", default="data/raw")
    s.set_defaults(func=cmd_prepare_data)

    s = sub.add_parser("train", help="train one run spec, one record per seed")
    s.add_argument("--spec", required=True, help="run spec: a YAML/JSON file or JSON text")
    s.add_argument("--run", required=True, help="the run's id, stored in its records")
    s.add_argument("--data", default="data/mnist.npz")
    s.add_argument("--out-dir", required=True, help="records go to OUT_DIR/seed-<seed>.json")
    s.add_argument("--seeds", type=int, nargs="+", help="override the spec's seeds")
    s.set_defaults(func=cmd_train)

    s = sub.add_parser("neuron", help="gradient descent on the single neuron of section 1")
    s.add_argument("--w", type=float, required=True)
    s.add_argument("--b", type=float, required=True)
    s.add_argument("--cost", choices=["quadratic", "cross-entropy"], required=True)
    s.add_argument("--eta", type=float, required=True)
    s.add_argument("--epochs", type=int, default=300)
    s.add_argument("--out", required=True)
    s.set_defaults(func=cmd_neuron)

    s = sub.add_parser("svm", help="the SVM baseline on the first N training images")
    s.add_argument("--train-size", type=int, required=True)
    s.add_argument("--evaluation", choices=["validation", "test"], default="validation")
    s.add_argument("--data", default="data/mnist.npz")
    s.add_argument("--out", required=True)
    s.set_defaults(func=cmd_svm)

    s = sub.add_parser("aggregate", help="combine the seeds of one run")
    s.add_argument("--records", nargs="+", required=True)
    s.add_argument("--out", required=True)
    s.set_defaults(func=cmd_aggregate)

    s = sub.add_parser("plot", help="draw one figure from its config entry")
    s.add_argument("--spec", required=True, help="the figure's config entry, as JSON")
    s.add_argument("--inputs", nargs="*", default=[], help="aggregates, SVM results, data")
    s.add_argument("--book", nargs="*", default=[],
                   help="the book's published runs the figure draws (book_runs/*.json)")
    s.add_argument("--out", required=True)
    s.set_defaults(func=cmd_plot)

    for name, func, help_ in (
            ("report", cmd_report, "regenerated numbers vs the book, with tolerances"),
            ("calibrate", cmd_calibrate, "measure the seed sd of every expected quantity")):
        s = sub.add_parser(name, help=help_)
        s.add_argument("--expected", default="config/expected.yaml")
        s.add_argument("--aggregates", nargs="+", default=[])
        if name == "report":  # calibration reads only seeded runs: SVM and neuron have no spread
            s.add_argument("--svm", nargs="*", default=[])
            s.add_argument("--neuron", nargs="*", default=[])
            s.add_argument("--calibration", default="config/calibration.yaml")
            s.add_argument("--out-md", default="results/reproduction.md")
            s.add_argument("--out-json", default="results/reproduction.json")
            s.add_argument("--book", nargs="*", default=[],
                           help="the book's published runs: adds the curve check")
            s.add_argument("--curve-calibration", default="config/calibration_curves.json")
        else:
            s.add_argument("--out", default="config/calibration.yaml")
        s.set_defaults(func=func)

    s = sub.add_parser("calibrate-curves",
                       help="measure the per-epoch seed sd of every published curve")
    s.add_argument("--aggregates", nargs="+", required=True)
    s.add_argument("--book", nargs="+", required=True, help="book_runs/*.json")
    s.add_argument("--out", default="config/calibration_curves.json")
    s.set_defaults(func=cmd_calibrate_curves)

    s = sub.add_parser("gate", help="print the reproduction table; exit 1 if a row fails")
    s.add_argument("--report", default="results/reproduction.json")
    s.add_argument("--table", default="results/reproduction.md")
    s.set_defaults(func=cmd_gate)
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        args.func(args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
