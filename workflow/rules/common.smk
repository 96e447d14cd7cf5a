# Config validation and the helpers the rules share.

import functools
import json
import os
import shlex
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError

from nndl3 import book_runs as nndl3_book
from nndl3 import calibration as nndl3_calibration
from nndl3 import changed as nndl3_changed
from nndl3 import check as nndl3_check
from nndl3 import code as nndl3_code
from nndl3 import curves as nndl3_curves
from nndl3 import figures as nndl3_figures
from nndl3 import literature as nndl3_literature
from nndl3 import paths
from nndl3 import recipe_plan as nndl3_recipe_plan
from nndl3 import svm as nndl3_svm
from nndl3 import workflow_config
from nndl3.errors import UserError


def stop(message):
    """A bad config or input: one line and exit status 1, before any job (an exception
    raised here would reach the user framed by Snakemake with a line of traceback)."""
    print(f"error: {message}", file=sys.stderr)
    sys.exit(1)


def stop_invalid(error):
    """A bad merged config: `stop`, naming the files merged (workflow_config.invalid)."""
    stop(
        workflow_config.invalid(
            error,
            workflow.overwrite_configfiles,
            bool(workflow.config_settings.config),
        )
    )


def stop_literature(error):
    """A bad config/literature.yaml: `stop`, in one line (its errors name the file)."""
    stop(f"invalid config: {workflow_config.one_line(error)}")


try:
    workflow_config.validate(config, Path(workflow.basedir, paths.CONFIG_SCHEMA))
    RUN_SPECS = workflow_config.check(config)  # each run's, validated once
except (WorkflowError, UserError) as error:
    stop_invalid(error)
try:
    # read once, for every rule file
    EXPECTED = nndl3_check.load_expected(paths.EXPECTED)
    # the book's numbers a figure names by row are written once, in EXPECTED's rows
    config["figures"] = workflow_config.book_numbers(config, EXPECTED)
    workflow_config.check_scored_fits(config, EXPECTED)
except UserError as error:
    stop(str(error))
try:
    # the literature runs' (literature.smk, config/literature.yaml)
    LITERATURE = nndl3_literature.load_config(paths.LITERATURE_CONFIG)
    nndl3_literature.check_runs(config, LITERATURE, paths.LITERATURE_CONFIG)
    workflow_config.check_literature(LITERATURE, paths.LITERATURE_CONFIG)
    workflow_config.check_literature_measures(
        config, LITERATURE, paths.LITERATURE_CONFIG
    )
except (WorkflowError, UserError) as error:
    stop_literature(error)
try:  # figures of the chapter's named as files of the literature's
    workflow_config.check_figure_names(config, LITERATURE)
except UserError as error:
    stop_invalid(error)


def new_rule(name, where, stop_with=stop_invalid):
    """`name`, for a rule the config names (an experiment, a literature run, a replayed
    script); if another has it already, `stop_with` a UserError naming the config's key
    `where` (Snakemake's CreateRuleException blamed the other's file, with a traceback).
    Such rules come after the fixed ones of their file (the experiments' after all)."""
    if workflow.is_rule(name):
        file = os.path.relpath(workflow.get_rule(name).snakefile, workflow.basedir)
        stop_with(
            UserError(
                f"{where}: {name!r} is the name of a rule "
                f"of the workflow (in {file}): name it otherwise"
            )
        )
    return name


RUNS = list(config["runs"])
# published file -> its replay (replay.smk)
REPLAY = workflow_config.replay_specs(config)
SEEDS = config["seeds"]
FIGURES = config["figures"]


def one_of(names):
    """A wildcard constraint matching exactly these names."""
    return "|".join(sorted(names, key=len, reverse=True)) or "(?!)"


def run_spec_json(wildcards):
    return json.dumps(RUN_SPECS[wildcards.run], separators=(",", ":"))


def published_json(wildcards):
    # a function: Snakemake would read the braces of "size_{n}" in a string as a wildcard
    return PUBLISHED.to_json()


# Each run's book settings: the committed config/config.yaml, read before any --configfile
# or --config (nndl3.changed); the jobs that judge or draw a run get them, to report a run
# trained otherwise as changed.
COMMITTED_CONFIG = workflow_config.read_committed(
    Path(workflow.basedir, workflow_config.COMMITTED)
)
BOOK_SETTINGS = workflow_config.book_settings(COMMITTED_CONFIG)
# which of our runs repeats each published run (config `published:`), with the published
# run's size: passed to every job that reads book_runs/ as --published
try:
    PUBLISHED = workflow_config.published(config, COMMITTED_CONFIG)
except UserError as error:
    stop_invalid(error)
BOOK_FILES = [f"{nndl3_book.DIR}/{name}" for name in PUBLISHED.files]
for _warning in workflow_config.unused_new_runs(config, COMMITTED_CONFIG):
    print(f"warning: {_warning}", file=sys.stderr)


def book_settings_json(runs):
    return json.dumps(
        {run: BOOK_SETTINGS[run] for run in runs if run in BOOK_SETTINGS},
        separators=(",", ":"),
    )


def figure_book_settings(wildcards):
    return book_settings_json(nndl3_figures.drawn_runs(FIGURES[wildcards.figure]))


def figure_spec_json(wildcards):
    return json.dumps(FIGURES[wildcards.figure], separators=(",", ":"))


def seed_records(runs):
    """Every seed's record of `runs`: an input of the jobs that read the runs' aggregates,
    though no command reads them, so that a seed added to the config is a missing file that
    reruns its train job once the reader reruns (its param `seeds` changed). Snakemake
    compares a job's params only when each of its outputs has metadata, and a new seed's
    record has none: through the aggregate alone, the old seeds were kept."""
    return expand(paths.RECORD, run=runs, seed=SEEDS)


def figure_seeds(wildcards):
    """The seeds a figure's runs are drawn over (a param of its plot: see seed_records)."""
    return SEEDS if figure_inputs(wildcards)["records"] else []


def figure_inputs(wildcards):
    """The files a figure is drawn from, by role (nndl3.figures.ROLES; empty lists for the
    roles its family does not take), and the records behind its aggregates."""
    inputs = nndl3_figures.inputs(config, wildcards.figure)
    drawn = nndl3_figures.figure_runs(FIGURES[wildcards.figure])
    return {**inputs, "records": seed_records(drawn if inputs["aggregates"] else [])}


def figure_category(wildcards):
    """The figure's category of the HTML report: its section of the chapter."""
    return nndl3_figures.section_of(config, FIGURES[wildcards.figure], report=True)


def figure_caption(wildcards):
    """The figure's caption, its family's template rendered (workflow/report/figure.rst
    shows it), and what a changed run of it changes from the book's settings."""
    caption = nndl3_figures.caption(
        config, wildcards.figure, Path(workflow.basedir, "workflow", "report")
    )
    runs = nndl3_figures.drawn_runs(FIGURES[wildcards.figure])
    change = workflow_config.of_config(config, runs, BOOK_SETTINGS)
    return caption + (f"\n\n**Changed from the book**: {change}." if change else "")


# The calibration (calibrate.smk): the seeds each checked run is calibrated on.
try:
    CALIBRATED = nndl3_calibration.run_seeds(
        EXPECTED,
        config["calibration_seeds"],
        PUBLISHED,
    )
    nndl3_calibration.apart_from(CALIBRATED, config["seeds"])
except UserError as error:
    stop(str(error))
SPOT_SEED = nndl3_calibration.spot_seed(config["calibration_seeds"])


def calibration_spec_json(wildcards):
    spec = RUN_SPECS[wildcards.run]
    return json.dumps({**spec, "seeds": [int(wildcards.seed)]}, separators=(",", ":"))


def calibration_records(wildcards):
    return expand(
        paths.CALIBRATION_RECORD, run=wildcards.run, seed=CALIBRATED[wildcards.run]
    )


def code(command):
    """The code `python -m nndl3 <command>` runs (nndl3.code), as a rule's param: a change
    to it reruns the rule's jobs and what depends on them; a comment's does not."""
    return digest_or_stop(nndl3_code.digest, command)


def script_code(script):
    """The code a script of the checkout runs (nndl3.code.script_digest), as a rule's
    param, as `code` is for the package's commands."""
    return digest_or_stop(nndl3_code.script_digest, Path(workflow.basedir, script))


def digest_or_stop(digest, of):
    """digest(of); code edited into a syntax error stops the workflow in one line (no rule
    can know what its jobs would run)."""
    try:
        return digest(of)
    except SyntaxError as error:
        stop(
            f"{error.filename}, line {error.lineno}: {error.msg} (the code does not "
            "parse, so no job can be planned: fix it and run again)"
        )


def benchmark_file(rule, name):
    """The job-time file of a rule's job (paths.BENCHMARK); name: a wildcard pattern."""
    return paths.BENCHMARK.format(rule=rule, name=name)


def neuron_options(wildcards):
    """`--<key> <value>` of each setting of the single-neuron run (config `neuron:`):
    its keys are the command's options, both checked against neuron.schema.yaml."""
    run = config["neuron"][wildcards.neuron]
    return " ".join(f"--{key} {shlex.quote(str(value))}" for key, value in run.items())


def mnist_dir_option():
    folder = config.get("mnist_dir")
    return f"--mnist-dir {shlex.quote(folder)}" if folder else ""


# prepare_data's source folder, filled into its command when it runs: not a param, which
# Snakemake would compare with the last run's. The prepared bytes are the MD5-checked
# files', from whichever folder (or download) they came, so the folder is no reason to
# rerun, let alone to delete data/mnist.npz and then fail offline.
MNIST_DIR_OPTION = mnist_dir_option()

# the SVM jobs' environment, a param put before their command (nndl3.svm.JOB_ENV says
# why): a change to it reruns them
SVM_ENV = " ".join(f"{name}={value}" for name, value in nndl3_svm.JOB_ENV.items())


wildcard_constraints:
    run=one_of(RUNS),
    seed=r"\d+",
    n=r"\d+",
    neuron=one_of(config["neuron"]),


# The SVMs (baselines.smk).


def svm_parts(wildcards):
    """The svm_test_size fit is solved in svm_parts jobs (svm_part); the others in one."""
    if int(wildcards.n) != config["svm_test_size"]:
        return []
    return expand(paths.SVM_PART, n=wildcards.n, part=range(config["svm_parts"]))


def tuned_spec(wildcards):
    return json.dumps(config["tuned_svm"], separators=(",", ":"))


# The literature runs (literature.smk, config/literature.yaml, LITERATURE above), at each
# scale (paths.LITERATURE_SCALES, also the names of the config's sections of the scales).
RUNS_SCALE, MINIATURE_SCALE, PROBE_SCALE = paths.LITERATURE_SCALES
LITERATURE_RUNS = list(LITERATURE[RUNS_SCALE])
LITERATURE_MINIATURE = list(LITERATURE[MINIATURE_SCALE])
LITERATURE_PROBE = list(LITERATURE.get(PROBE_SCALE) or {})
# the figures drawn from the probes' records (their entry's `scale: probe`)
LITERATURE_PROBE_FIGURES = [
    name
    for name, fig in LITERATURE["figures"].items()
    if fig.get("scale") == PROBE_SCALE
]
LITERATURE_FIGURES = list(LITERATURE["figures"])


def literature_records(scale, runs):
    return expand(
        paths.LITERATURE_RECORD,
        scale=scale,
        run=runs,
        seed=SEEDS,
    )


def literature_figure_inputs(wildcards):
    """The files a literature figure is drawn from, by role (nndl3.figures.ROLES)."""
    return nndl3_figures.inputs(
        {**config, "figures": LITERATURE["figures"]}, wildcards.figure
    )


def literature_spec(wildcards):
    """A literature run's spec at its scale, from the config as merged (a --configfile's
    defaults too); None for a run its scale has no entry for: the job, making its spec from
    the config files, names what is missing in one line (an error here would reach the
    user as Snakemake's traceback)."""
    return merged_literature_spec(wildcards.run, wildcards.scale)


@functools.cache  # a job's params and threads each ask; merged and validated once
def merged_literature_spec(run, scale):
    try:
        return nndl3_literature.run_spec(config, LITERATURE, run, scale)
    except UserError:
        return None


def literature_spec_option(wildcards):
    """`--spec <JSON>`: the run's spec (literature_spec) for this job's seed alone; a
    param, so that a changed spec reruns the run, and a seed added to the config reruns no
    other (hours each)."""
    spec = literature_spec(wildcards)
    if spec is None:
        return ""
    spec = {**spec, "seeds": [int(wildcards.seed)]}
    return f"--spec {shlex.quote(json.dumps(spec, separators=(',', ':')))}"


def literature_threads(wildcards):
    # a distorted run draws the next epoch's images on a second thread
    distorted = (literature_spec(wildcards) or {}).get("distortion")
    return nndl3_literature.DRAWING_THREADS if distorted else 1
