"""`python -m nndl3 <command> --help`: every option says what it is, and shows its default
where it has one (written once, in the option)."""

import argparse
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import cli_commands

ROOT = Path(__file__).resolve().parents[1]


def options():
    """(command, option) of every command's parser, --help itself left out."""
    for name, command in cli_commands().items():
        for option in command._actions:
            if option.option_strings and not isinstance(option, argparse._HelpAction):
                yield name, command, option


def shown_help(command, option) -> str:
    """The option's help as --help prints it, unwrapped."""
    return command._get_formatter()._expand_help(option)


def test_every_option_of_every_command_has_help():
    missing = [f"{name} {option.option_strings[0]}" for name, _, option in options()
               if not option.help]
    assert missing == []


def test_every_default_is_shown_in_the_help():
    """Shown by the formatter, or named by the help with its value (a help that says
    "(default)" beside a value of its own would go stale when the option's changes)."""
    hidden = [f"{name} {option.option_strings[0]}" for name, command, option in options()
              if not (option.default is None or option.default is False
                      or option.default == [])
              and f"default: {option.default}" not in shown_help(command, option)]
    assert hidden == []


def test_a_default_of_zero_is_shown():
    import argparse

    from nndl3 import arguments

    zero = argparse.ArgumentParser(formatter_class=arguments.DefaultsFormatter)
    option = zero.add_argument("--x", type=float, default=0.0, help="x")
    assert zero._get_formatter()._format_action(option).strip().endswith("x (default: 0.0)")


def test_a_default_of_an_option_without_help_is_shown():
    """A script's option may have no help (the CLI's all have): its default is shown still,
    and one of None is not."""
    from nndl3 import arguments

    parser = arguments.script_parser("A script.")
    bare = parser.add_argument("--repeats", type=int, default=3)
    unset = parser.add_argument("--data")
    formatter = parser._get_formatter()
    assert formatter._format_action(bare).split() == ["--repeats", "REPEATS", "(default:", "3)"]
    assert formatter._format_action(unset).strip() == "--data DATA"


def test_a_script_docstring_keeps_its_layout_and_the_defaults_are_shown():
    """bench.py's epilog is a table of its implementations (DocstringFormatter)."""
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--help"],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert "\n  fast       nndl3.fast.FastNetwork" in proc.stdout
    assert "(default: 3)" in proc.stdout and "(default: 1)" in proc.stdout


def test_a_default_the_help_names_is_not_shown_twice():
    twice = [f"{name} {option.option_strings[0]}" for name, command, option in options()
             if len(re.findall(r"\bdefault\b", shown_help(command, option))) > 1]
    assert twice == []


def test_the_help_shows_a_default_it_does_not_name():
    [(command, evaluation)] = [(c, o) for name, c, o in options()
                               if (name, o.dest) == ("darkness", "evaluation")]
    assert shown_help(command, evaluation).endswith(" (default: test)")


SCRIPTS = sorted(p for p in (ROOT / "benchmarks").glob("*.py")
                 if '__name__ == "__main__"' in p.read_text())


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_every_benchmark_script_answers_help_without_running(script):
    """--help prints the usage and exits 0 (vexp_exhaustive.py read no arguments: --help
    started its hour-long comparison)."""
    proc = subprocess.run([sys.executable, str(script), "--help"], capture_output=True,
                          text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 0 and proc.stdout.startswith("usage:"), proc.stderr[-300:]


@pytest.mark.parametrize("script", ["reference_epoch.py", "wide.py", "svm_kernel.py"])
def test_a_benchmark_given_missing_data_says_so_in_one_line(script, tmp_path):
    """A bad input is one line and exit status 1, as the package's commands give it
    (errors.exit_status), not the traceback of the UserError."""
    missing = tmp_path / "absent.npz"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), "--data",
                           str(missing)], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 1
    assert proc.stderr == f"error: {missing}: prepared data missing (run `snakemake " \
                          "prepare_data`)\n"


OUTPUTS = [("backprop_claims.py", "--out"), ("bench.py", "--out"), ("breakdown.py", "--json"),
           ("eta100_seeds.py", "--out"), ("gate_seeds.py", "--out"),
           ("literature_cost.py", "--out"), ("pipeline.py", "--out"),
           ("reference_epoch.py", "--out"), ("replay_sensitivity.py", "--out"),
           ("target_times.py", "--json"), ("wide.py", "--out")]


@pytest.mark.parametrize("script,option", OUTPUTS)
def test_a_benchmark_refuses_an_output_it_cannot_write_before_its_work(script, option,
                                                                       tmp_path):
    """bench.py wrote its file after minutes of work, and then stopped on a traceback."""
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), option,
                           str(tmp_path)], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 2
    assert proc.stderr == (f"error: {script}: argument {option}: {tmp_path}: a folder, not a "
                           "file (--help lists the options)\n")


def test_breakdowns_after_is_refused_without_json():
    """--after reports the reference epoch in the time by kind that --json writes: alone it
    was silently ignored."""
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "breakdown.py"),
                           "--after"], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert (proc.returncode, proc.stderr) == (2, "error: breakdown.py: --after goes with "
                                              "--json (the time by kind it is reported in) "
                                              "(--help lists the options)\n")


def test_a_benchmark_count_of_zero_is_refused():
    """--repeats 0 stopped on statistics' traceback (no median of nothing)."""
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "reference_epoch.py"),
                           "--repeats", "0"], capture_output=True, text=True, timeout=60,
                          cwd=ROOT)
    assert proc.returncode == 2
    assert proc.stderr == ("error: reference_epoch.py: argument --repeats: 0: at least 1 "
                           "(--help lists the options)\n")


def test_a_benchmarks_default_output_is_checked_as_its_arguments_are_parsed(tmp_path):
    """argparse converts a default only if it is a string: a Path default went unchecked."""
    (tmp_path / "results").write_text("a file where the folder should be")
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "reference_epoch.py")],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith(
        "error: reference_epoch.py: argument --out: results/reference_epoch.json: its folder "
        "cannot be written") and proc.stderr.count("\n") == 1
    # and the flag that names the other output: checked as it is parsed too
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "reference_epoch.py"),
                           "--after"], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith(
        "error: reference_epoch.py: argument --after: results/reference_epoch_after.json: its "
        "folder cannot be written") and proc.stderr.count("\n") == 1


@pytest.mark.parametrize("script", sorted(p.name for p in (ROOT / "tools").glob("*.py")
                                          if p.name != "__init__.py"))
def test_every_tool_answers_help_with_its_usage_and_does_nothing_else(script):
    """`--help` printed a traceback (doc_commands), read the folder `--help`/ (run_specs),
    or ran the whole lint (lint_workflow)."""
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / script), "--help"],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert "usage:" in proc.stdout + proc.stderr and "lint:" not in proc.stdout


@pytest.mark.parametrize("script", ["breakdown.py", "target_times.py"])
def test_a_workflow_folder_that_is_none_is_refused_as_the_arguments_are_read(script,
                                                                             tmp_path):
    """breakdown.py said 'no job times (run the workflow first)' of a folder that did not
    exist, or of a file."""
    for given, words in ((tmp_path / "absent", "no such folder"),
                         (ROOT / "README.md", "not a folder")):
        proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), "--dir",
                               str(given)], capture_output=True, text=True, timeout=60, cwd=ROOT)
        assert (proc.returncode, proc.stderr) == (2, f"error: {script}: argument --dir: "
                                                     f"{given}: {words} (--help lists the "
                                                     "options)\n")


@pytest.mark.parametrize("script", ["bench.py", "wide.py", "subnormals.py"])
def test_a_training_size_beyond_mnists_is_refused_before_any_work(script):
    """bench.py timed its epochs on the 50,000 images, then stopped on the spec's maximum,
    without naming --train-size."""
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), "--train-size",
                           "50001"], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert (proc.returncode, proc.stderr) == (2, f"error: {script}: argument --train-size: "
                                                 "50001: at most 50,000, the training images "
                                                 "(--help lists the options)\n")


def test_a_neuron_entry_s_keys_are_the_neuron_command_s_options():
    """The neuron rule passes each key of a config `neuron:` entry as `--<key>`
    (workflow/rules/common.smk neuron_options): the schema that checks those entries names
    exactly the command's options (but its --out)."""
    from nndl3 import cli, schemas

    (sub,) = [a for a in cli.parser()._actions if isinstance(a, argparse._SubParsersAction)]
    options = {o for a in sub.choices["neuron"]._actions for o in a.option_strings}
    keys = schemas.load("neuron.schema.yaml")["properties"]
    assert {f"--{k}" for k in keys} == options - {"-h", "--help", "--out", "--check-only"}
