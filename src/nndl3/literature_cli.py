"""The literature runs' commands of `python -m nndl3` (nndl3.cli adds them):
literature-train, literature-check, literature-probe. Their figures are the figure registry's
(nndl3.figures, family `literature_curves`), drawn by `python -m nndl3 plot`."""

from __future__ import annotations

import sys

from . import paths
from .errors import UserError


def cmd_train(args):
    from pathlib import Path

    import numpy as np

    from . import atomic, literature, mnist

    spec = seed_spec(args)
    if args.checkpoint:
        from .literature_checkpoint import is_checkpoint

        if Path(args.checkpoint).exists() and not is_checkpoint(Path(args.checkpoint)):
            # the run would replace it, then delete it
            raise UserError(f"--checkpoint: {args.checkpoint}: a file that is not a "
                            "checkpoint (left as it is)")
    data = mnist.load(args.data, np.dtype(spec["dtype"]), mnist.SETS, spec["train_size"])
    from .code import digest

    code = digest("literature-train")  # the record keeps it: its rows can be committed
    checkpoint = None
    if args.checkpoint:
        from .literature_checkpoint import Checkpoint, data_digest

        key = {"run": args.run, "seed": args.seed, "scale": args.scale, "spec": spec,
               "code": code, "data": data_digest(data)}
        checkpoint = Checkpoint(Path(args.checkpoint), key, args.checkpoint_every)
    record = literature.train_seed(args.run, spec, args.seed, data, checkpoint=checkpoint,
                                   **({"threads": args.threads} if args.threads else {}))
    record["n_test"] = len(data["test"][1])
    record["scale"] = args.scale
    record["code"] = code
    atomic.write_json(args.out, record)
    if checkpoint:
        checkpoint.remove()
    print(f"wrote {args.out}")


def seed_spec(args) -> dict:
    """The run's spec, its seed one of its seeds (`--check-only` checks this too)."""
    spec = spec_of(args)
    if args.seed not in spec["seeds"]:
        raise UserError(f"--seed: {args.seed} is not one of the run's seeds {spec['seeds']} "
                        "(config `seeds:`)")
    return spec


def spec_of(args) -> dict:
    """The run's spec: --spec as the workflow passes it (from its config as merged with a
    --configfile), else made from --config and --literature."""
    from . import literature, readers

    if args.spec is not None:  # parsed by spec_json
        return literature.checked_spec(args.spec, "--spec")
    config = readers.yaml_mapping(args.config, "config", ("defaults", "seeds"))
    return literature.run_spec(config, literature.load_config(args.literature), args.run,
                               args.scale, (args.config, args.literature))


def cmd_check(args):
    from . import atomic, literature, literature_check

    records = [literature.read_record(p) for p in args.records]
    literature.unique_seeds(args.records, records)
    literature.one_spec_per_run(args.records, records)
    for path, record in zip(args.records, records, strict=True):
        literature.finished(path, record)
    rows, results = literature_check.judged(args.expected, records)
    choices = literature_check.choices(rows, results)
    orders = literature_check.orders(rows, results)
    text = literature_check.markdown(results, choices, orders)
    if args.out_md:
        atomic.write_text(args.out_md, text)
    if args.out_json:
        atomic.write_json(args.out_json, {"rows": results, "choices": choices,
                                          "orders": orders})
    sys.stdout.write(text)


def cmd_probe(args):
    from . import atomic, literature, literature_check

    records = [literature.read_record(p) for p in args.records]
    literature.unique_seeds(args.records, records)
    literature.one_spec_per_run(args.records, records)
    epochs = {}
    for path, record in zip(args.records, records, strict=True):
        scale = literature_check.scale_of(record)
        if scale != "probe":
            raise UserError(f"{path}: a record of scale {scale!r}, not a probe's "
                            "(literature-train --scale probe)")
        literature.finished(path, record)
        n = epochs.setdefault(record["run"], len(record["test_accuracy"]))
        if len(record["test_accuracy"]) != n:
            raise UserError(f"{path}: {len(record['test_accuracy'])} epochs, where the run's "
                            f"other seeds have {n}")
    runs = literature_check.probe_summary(records)
    atomic.write_json(args.out, {"runs": runs})
    for r in runs:
        print(f"{r['run']}: {r['epochs']} epochs, test at the last "
              + ", ".join(f"{v:.2f}" for v in r["test_last"]) + " %")


def spec_json(text: str):
    """argparse's type for --spec: JSON text, parsed as the other commands' --spec. (Not
    called by cmd_train, so the cli module it imports is not in literature-train's code.)"""
    import argparse

    from .cli import load_json_arg

    try:
        return load_json_arg(text, "--spec")
    except UserError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--spec: ")) from None


def add_commands(sub) -> None:
    from .arguments import positive
    from .cli import add_data, add_expected, json_path

    s = sub.add_parser("literature-train", help="train one seed of a literature run "
                       "(config/literature.yaml)")
    s.add_argument("--run", required=True, help="a run of config/literature.yaml's `runs:`")
    s.add_argument("--seed", type=int, required=True, help="one of the run's seeds")
    add_data(s)
    s.add_argument("--out", required=True, type=json_path,
                   help=f"the seed's record, JSON (the rule's: {paths.LITERATURE_RECORD})")
    s.add_argument("--spec", type=spec_json,
                   help="the run's spec as JSON, as the workflow passes it (made from its "
                        "config, merged with any --configfile); default: made here from "
                        "--config and --literature")
    s.add_argument("--config", default=paths.CONFIG,
                   help="the workflow's config, for its `defaults:` and `seeds:`")
    s.add_argument("--literature", default=paths.LITERATURE_CONFIG,
                   help="the literature runs' config")
    s.add_argument("--scale", choices=paths.LITERATURE_SCALES, default="runs",
                   help="the run as configured, its miniature (CI) or its probe (its first "
                   "epochs): config/literature.yaml `miniature:`, `probe:`")
    s.add_argument("--checkpoint", help="save the run's state here every "
                   "--checkpoint-every epochs, and resume from it if it is this run's "
                   f"(the rule's: {paths.LITERATURE_CHECKPOINT})")
    s.add_argument("--threads", type=positive, default=None,
                   help="1: a distorted run draws each epoch's images before it trains, on "
                        "one core; default: on a second thread while this one trains")
    s.add_argument("--checkpoint-every", type=positive, default=10, metavar="EPOCHS",
                   help="epochs between two saves of --checkpoint")
    s.set_defaults(func=cmd_train)

    s = sub.add_parser("literature-check", help="the literature rows of config/expected.yaml "
                       "(a run without records is `not run`)")
    add_expected(s)
    s.add_argument("--records", nargs="*", default=[],
                   help=f"the literature runs' records ({paths.LITERATURE_RECORD})")
    s.add_argument("--out-md", help="also the rows as a markdown table")
    s.add_argument("--out-json", type=json_path, help="also the rows, JSON")
    s.set_defaults(func=cmd_check)

    s = sub.add_parser("literature-probe", help="where the probed runs stand (records of "
                       "literature-train --scale probe), for docs/literature.md")
    s.add_argument("--records", nargs="+", required=True,
                   help="the probes' records (literature-train --scale probe)")
    s.add_argument("--out", required=True, type=json_path,
                   help=f"the probes' summary, JSON (the rule's: {paths.LITERATURE_PROBE_JSON})")
    s.set_defaults(func=cmd_probe)
