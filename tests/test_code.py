"""nndl3.code: a result names the code that made it. An edit to code changes the digest of
exactly the commands that run it (and so the `code` param of their rules, which reruns
them), an edit to a comment or docstring changes none, and `check` refuses a report made
by other code with one line saying what to rerun."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nndl3 import code, paths

from .conftest import synthetic_digits

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ("train", "plot", "report", "check", "svm", "tuned-svm", "replay", "neuron",
            "darkness", "aggregate", "prepare-data", "calibrate")


@pytest.fixture
def package(tmp_path):
    """A copy of the package, to edit."""
    return Path(shutil.copytree(code.PACKAGE, tmp_path / "nndl3",
                                ignore=shutil.ignore_patterns("__pycache__")))


def digests(package):
    return {c: code.digest(c, package) for c in COMMANDS}


def edit(path: Path, old: str, new: str):
    text = path.read_text()
    assert old in text, f"{path.name} no longer has {old!r}: update the test"
    path.write_text(text.replace(old, new, 1))


def changed(before, after):
    return {c for c in COMMANDS if before[c] != after[c]}


def test_a_change_to_the_network_changes_the_code_of_what_trains_and_nothing_else(package):
    before = digests(package)
    assert before == digests(code.PACKAGE)  # the copy is the package
    edit(package / "network.py", "target *= 1 - rate", "target *= 1 - 2 * rate")  # L2 doubled
    # the replay's compiled engine builds a network.Network; the calibration imports
    # train's provenance helpers, and so the module: both run (or may run) network.py
    assert changed(before, digests(package)) == {"train", "replay", "calibrate"}


def test_a_change_to_plotting_redraws_figures_only(package):
    before = digests(package)
    edit(package / "plotting.py", "def save(fig, path) -> None:\n",
         "def save(fig, path) -> None:\n    fig.set_dpi(fig.get_dpi())\n")
    assert changed(before, digests(package)) == {"plot"}


def test_a_change_to_the_svm_kernel_refits_the_svms_and_redraws_no_figure(package):
    """The figures' words (docs.describe) read the run specs' code, which reaches the
    baselines' and the SVM's; the plot jobs do not run them."""
    before = digests(package)
    edit(package / "svm_kernel.py", "WIDTH = 64", "WIDTH = 128")
    assert "plot" not in changed(before, digests(package))
    assert {"svm", "tuned-svm"} <= changed(before, digests(package))


def test_comments_docstrings_and_layout_change_no_code(package):
    before = digests(package)
    edit(package / "network.py", "    def penalize(self, w, rate, velocity=None):\n",
         "    def penalize(self, w, rate, velocity=None):  # a new comment\n\n")
    edit(package / "network.py", '"""A fully connected network', '"""A dense network')
    edit(package / "train.py", "SCHEDULE_FLOOR = 1 / 128", "SCHEDULE_FLOOR = (1 / 128)  # floor")
    assert changed(before, digests(package)) == set()


def test_an_upgraded_library_changes_every_digest_kept_or_computed(package, tmp_path,
                                                                    monkeypatch):
    """A library's code runs in the jobs as the package's does (numba's compiler, NumPy's
    BLAS, matplotlib's Pillow): a new version of one is new code of every command, and
    the digests kept for the old versions are not served."""
    monkeypatch.chdir(tmp_path)
    before = digests(package)
    monkeypatch.setattr(code, "library_versions", lambda: "numba==0.1 numpy==1.0")
    after = digests(package)
    assert all(after[c] != before[c] for c in COMMANDS)


def test_the_libraries_versioned_are_those_the_package_runs_not_the_workflow_engine():
    import importlib.metadata as metadata

    versions = dict(pair.split("==") for pair in code.library_versions().split())
    # its own requirements, and theirs: numba's compiler, matplotlib's image writer
    assert {"numpy", "numba", "llvmlite", "scipy", "matplotlib", "pillow",
            "scikit-learn"} <= set(versions)
    assert versions["llvmlite"] == metadata.version("llvmlite")
    assert code.ENGINE not in versions  # Snakemake runs the jobs, none imports it


def test_a_requirement_of_an_extra_counts_only_where_the_extra_is_asked_for():
    lines = ['pytest>=7; extra == "test"', "snakefmt; extra=='test'", "pillow>=8",
             'typing-extensions; python_version < "3.13"', "jsonschema[format] >=4"]
    assert code.listed(lines) == [("pillow", frozenset()), ("typing-extensions", frozenset()),
                                  ("jsonschema", frozenset({"format"}))]
    assert [name for name, _ in code.listed(lines, frozenset({"test"}))][:2] == [
        "pytest", "snakefmt"]


    # an extra among others, and its name as PEP 685 compares it; an empty line is none
    assert code.listed(['black; extra == "lint" or extra == "Test_All"', ""],
                       frozenset({"test-all"})) == [("black", frozenset())]


def test_a_checkouts_requirements_are_its_pyprojects_before_an_installs(monkeypatch):
    """An editable install's metadata is as old as the install: the checkout's
    pyproject.toml, read first, is what it runs (a library added there is versioned)."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert code.checkout_requirements() == project["dependencies"]
    monkeypatch.setattr(code, "checkout_requirements", lambda: ["numpy", "pytest>=7"])
    code.library_versions.cache_clear()
    try:
        assert "pytest" in dict(p.split("==") for p in code.library_versions().split())
    finally:
        code.library_versions.cache_clear()


def test_a_digest_is_kept_for_the_very_sources_it_was_computed_from(package, tmp_path,
                                                                   monkeypatch):
    """code.DIGESTS (under the current directory) serves a digest only for sources of the
    same bytes: an edit made since is computed anew; a broken file is rebuilt."""
    monkeypatch.chdir(tmp_path)
    first = code.digest("plot", package)
    kept = json.loads(code.DIGESTS.read_text())
    assert kept["digests"] == {"plot": first} and first == code.computed_digest("plot", package)
    # served from the file: a digest planted there for these sources is what comes back
    code.DIGESTS.write_text(json.dumps({**kept, "digests": {"plot": "planted"}}))
    assert code.digest("plot", package) == "planted"
    edit(package / "plotting.py", "def save(fig, path) -> None:\n",
         "def save(fig, path) -> None:\n    fig.set_dpi(fig.get_dpi())\n")
    edited = code.digest("plot", package)
    assert edited == code.computed_digest("plot", package) != first
    assert json.loads(code.DIGESTS.read_text())["digests"] == {"plot": edited}
    code.DIGESTS.write_text("{not json")
    assert code.digest("plot", package) == edited
    # a script's: kept for its folder's scripts as they are, an edit of one computed anew
    scripts = Path(shutil.copytree(ROOT / "benchmarks", tmp_path / "benchmarks"))
    script = scripts / "backprop_claims.py"
    before = code.script_digest(script, package)
    edit(scripts / "reference.py", "import numpy as np\n", "import numpy as np\n_ = 0\n")
    after = code.script_digest(script, package)
    assert after == code.computed_script_digest(script, package) != before
    entries = json.loads(code.DIGESTS.read_text())["digests"]
    assert [v for k, v in entries.items() if k.startswith(f"{script.resolve()} ")] == [after]


def test_the_command_function_and_the_cli_helpers_it_calls_are_its_code(package):
    before = digests(package)
    edit(package / "cli.py", 'raise UserError(f"{what}: not valid JSON ({exc})") from None',
         'raise UserError(f"{what}: not JSON ({exc})") from None')  # load_json_arg
    # the commands that call load_json_arg
    assert changed(before, digests(package)) == {"plot", "replay", "report", "tuned-svm"}


def test_a_default_of_a_commands_parser_is_its_code_a_statement_of_cli_every_commands(
        package):
    """`darkness` reads its --evaluation from the parser's default (its rule passes none):
    a new default changed no digest, and the result stayed older than its code. Since, an
    argument of one command (calibrate's --n-check) retrained every run: a command's block
    of the parser is its own code."""
    before = digests(package)
    edit(package / "cli.py", 'choices=EVALUATION_SETS, default="test",',
         'choices=EVALUATION_SETS, default="validation",')
    after = digests(package)
    assert changed(before, after) == {"darkness"}
    edit(package / "cli.py", 'sub = p.add_subparsers(dest="command", required=True)',
         'sub = p.add_subparsers(dest="command", required=False)')  # every command's parser
    assert changed(after, digests(package)) == set(COMMANDS)
    after = digests(package)
    edit(package / "cli.py", 'os.environ.setdefault(_var, "1")',
         'os.environ.setdefault(_var, "2")')  # BLAS's threads
    assert changed(after, digests(package)) == set(COMMANDS)
    after = digests(package)
    edit(package / "cli.py", 'help="the book\'s numbers, the rows checked against them"',
         'help="the numbers of the book"')  # what --help says: nothing a command computes
    assert changed(after, digests(package)) == set()


@pytest.mark.parametrize("file, old, new", [
    ("cli.py", "    return exit_status(command, args.command)",
     "    return exit_status(command, args.command) or 0"),  # cli.run, around every command
    ("__main__.py", "status = main()", "status = main() or 0"),  # python -m nndl3
])
def test_what_runs_every_command_is_code_of_every_command(package, file, old, new):
    before = digests(package)
    edit(package / file, old, new)
    assert changed(before, digests(package)) == set(COMMANDS)


def test_a_cli_helper_a_literature_argument_imports_is_literature_trains_code(package):
    """literature-train's --spec is parsed by cli.load_json_arg, imported inside
    literature_cli.spec_json: followed, though cli's module is not."""
    before = code.digest("literature-train", package)
    edit(package / "cli.py", 'raise UserError(f"{what}: not valid JSON ({exc})") from None',
         'raise UserError(f"{what}: not JSON ({exc})") from None')  # load_json_arg
    assert code.digest("literature-train", package) != before
    assert "cli" not in code.modules_of("literature-train", package)


def test_a_package_schema_is_code_of_the_commands_that_name_it_only(package):
    """Every schema was code of every command that imports nndl3.schemas: a figure's
    caption key reworded retrained every run."""
    before = digests(package)
    edit(package / "figure.schema.yaml", "    minItems: 2\n    maxItems: 2",
         "    minItems: 2\n    maxItems: 3")  # an axis's limits
    assert changed(before, digests(package)) == {"plot"}


def test_a_default_of_a_package_schema_is_code_of_what_reads_it(package):
    """run.schema.yaml's defaults complete a run's settings (options.Options takes its
    defaults from it): a new default changed no digest, not even the replay's, which then
    took its options from them."""
    before = digests(package)
    edit(package / "run.schema.yaml", "momentum: {type: number, minimum: 0, exclusiveMaximum: 1, "
         "default: 0.0", "momentum: {type: number, minimum: 0, exclusiveMaximum: 1, "
         "default: 0.5")
    after = changed(before, digests(package))
    assert {"train", "replay"} <= after
    # nor more: the SVM fits read no run's settings (svm.py's import of book_runs, for one
    # constant, made a run default's edit refit every SVM)
    assert not after & {"svm", "tuned-svm", "darkness", "prepare-data", "neuron"}


def test_a_script_a_rule_runs_has_the_code_of_what_it_imports(tmp_path, package):
    """backprop_claims.py (rule backprop_claims) and what it imports: the scripts beside it
    and the package, followed; its rule passes the digest as its `code` param."""
    scripts = Path(shutil.copytree(ROOT / "benchmarks", tmp_path / "benchmarks"))
    script = scripts / "backprop_claims.py"
    before = code.script_digest(script, package)
    assert before == code.script_digest(ROOT / "benchmarks" / "backprop_claims.py")
    for path, old, new in [(scripts / "reference.py", "import numpy as np\n",
                            "import numpy as np\n_ = 0\n"),
                           (package / "network.py", "target *= 1 - rate",
                            "target *= 1 - 2 * rate")]:
        edit(path, old, new)
        assert code.script_digest(script, package) != before
        before = code.script_digest(script, package)
    edit(package / "tuned_inputs.py", 'SEARCH_KEYS = ("search_size",',
         'SEARCH_KEYS = ("search",')  # a module it does not import
    assert code.script_digest(script, package) == before
    edit(package / "neuron.schema.yaml", "$schema:", "minProperties: 1\n$schema:")
    assert code.script_digest(script, package) == before  # a schema no code of it names
    edit(scripts / "reference.py", "import numpy as np\n",
         "import numpy as np\n_SCHEMA = 'neuron.schema.yaml'\n")
    before = code.script_digest(script, package)
    edit(package / "neuron.schema.yaml", "minProperties: 1\n", "minProperties: 2\n")
    assert code.script_digest(script, package) != before  # one a script names
    smk = (ROOT / "workflow" / "rules" / "benchmarks.smk").read_text()
    assert 'code=script_code("benchmarks/backprop_claims.py")' in smk


def rules_running():
    """(rule, shell's nndl3 command, its code param) for every rule with a shell."""
    found = []
    for smk in sorted((ROOT / "workflow" / "rules").glob("*.smk")):
        text = smk.read_text()
        # a shell command held in a name (figures.smk's PLOT): its text
        shells = dict(re.findall(r"^([A-Z_]+) = \(?\s*\"python -m nndl3 ([\w-]+)", text, re.M))
        for block in re.split(r"\n(?=rule |use rule )", text):
            name = re.match(r"(?:use )?rule (\w+)", block)
            shell = re.search(r"python -m nndl3 ([\w-]+)", block) or \
                re.search(r"shell:\s*\n\s*([A-Z_]+)\s*$", block.strip() + "\n", re.M)
            if shell and shell.group(1) in shells:
                shell = re.match(r"(.*)", shells[shell.group(1)])
            if name and shell:
                param = re.search(r"\bcode=(?:sklearn_)?code\(\"([\w-]+)\"\)", block)
                found.append((name.group(1), shell.group(1), param and param.group(1)))
    return found


def test_every_rule_that_runs_an_nndl3_command_has_that_commands_code_as_a_param():
    """A rule whose result is a file passes its command's digest as its `code` param, so
    that Snakemake reruns it when that code changes (rules with no output, such as
    `check`, run every time anyway)."""
    found = rules_running()
    assert ("train", "train", "train") in found
    assert ("plot", "plot", "plot") in found
    no_output = {"check", "install_calibration", "calibration_check", "install_recipe",
                 "recipe_check"}
    wrong = [(rule, command, param) for rule, command, param in found
             if rule not in no_output and param != command]
    assert wrong == []


def test_records_and_aggregates_name_their_code(tmp_path, base_spec):
    x, y = synthetic_digits(80)
    tiny_npz = tmp_path / "mnist.npz"
    np.savez(tiny_npz, train_x=(x[:50] * 255).astype(np.uint8), train_y=y[:50],
             test_x=(x[50:] * 255).astype(np.uint8), test_y=y[50:])
    spec = {**base_spec, "epochs": 1, "train_size": 50, "seeds": [1, 2], "engine": "numpy",
            "monitor": ["evaluation_accuracy"]}
    out = tmp_path / "runs"
    agg = tmp_path / "agg.json"
    subprocess.run([sys.executable, "-m", "nndl3", "train", "--spec", json.dumps(spec),
                    "--run", "r", "--data", str(tiny_npz), "--out-dir", str(out),
                    "--out-aggregate", str(agg)], check=True, capture_output=True)
    record = json.loads((out / "seed-1.json").read_text())
    assert record["code"] == json.loads(agg.read_text())["code"] == code.digest("train")


def test_check_refuses_a_report_made_by_other_code(tmp_path):
    report = tmp_path / "reproduction.json"
    table = tmp_path / "reproduction.md"
    table.write_text("| table |\n")

    def check(train_code, report_code):
        report.write_text(json.dumps({"rows": [{"id": "a", "status": "pass"}], "gate": {},
                                      "code": {
            "train": {"xent_30": code.digest("train"), "l2_1k": train_code},
            "report": report_code}}))
        return subprocess.run([sys.executable, "-m", "nndl3", "check", "--report", str(report),
                               "--table", str(table)], capture_output=True, text=True)

    ok = check(code.digest("train"), code.digest("report"))
    assert ok.returncode == 0, ok.stderr
    stale = check("0" * 16, code.digest("report"))
    assert stale.returncode == 1
    assert stale.stderr.count("\n") == 1 and "Traceback" not in stale.stderr
    assert "the training of l2_1k" in stale.stderr and "xent_30" not in stale.stderr
    assert "rerun `snakemake --cores 2 check`" in stale.stderr
    assert "the report" in check(code.digest("train"), None).stderr


def test_result_paths_are_written_once():
    """Each pattern of nndl3.paths appears in no rule and no module but paths.py."""
    patterns = [v for k, v in vars(paths).items() if k.isupper() and "{" in v]
    places = [*(ROOT / "workflow" / "rules").glob("*.smk"), ROOT / "Snakefile",
              *(p for p in code.PACKAGE.glob("*.py") if p.name != "paths.py")]
    spelled = [(p.name, pattern) for p in places for pattern in patterns
               if pattern in p.read_text()]
    assert spelled == []


def test_a_command_of_another_module_runs_only_what_its_own_functions_import():
    """literature-train (in literature_cli) does not run the check's statistics, which
    literature_cli's other command imports: editing them leaves its hours of runs current."""
    train = code.modules_of("literature-train")
    assert "literature" in train and "wide" in train
    assert "literature_check" not in train and "tolerance" not in train
    assert "literature_check" in code.modules_of("literature-check")


def test_a_schema_named_where_a_commands_arguments_are_parsed_is_its_code(package):
    """The schemas a command reads are found in every part of its code that is hashed,
    its parser's block among them."""
    before = code.digest("darkness", package)
    edit(package / "cli.py", 'choices=EVALUATION_SETS, default="test",',
         'choices=EVALUATION_SETS, default="test", type=str or "neuron.schema.yaml",')
    after = code.digest("darkness", package)
    edit(package / "neuron.schema.yaml", "$schema:", "minProperties: 1\n$schema:")
    assert code.digest("darkness", package) != after != before


def test_a_cli_helper_a_literature_command_is_declared_with_is_its_code(package):
    """literature_cli's add_commands imports cli.add_data for literature-train's --data:
    an edit to it retrained the book's runs, and left the literature's hours current."""
    before = code.digest("literature-train", package), code.digest("literature-check",
                                                                   package)
    edit(package / "cli.py", "    s.add_argument(\"--data\", default=paths.DATA",
         "    s.add_argument(\"--data\", default=paths.DATA + \"\"")
    after = code.digest("literature-train", package), code.digest("literature-check", package)
    assert after[0] != before[0] and after[1] == before[1]  # literature-check has no --data


def test_a_statement_of_a_commands_block_that_may_reach_others_is_every_commands():
    import ast

    builder = ast.parse(
        "def parser():\n"
        "    sub = P().add_subparsers()\n"
        "    s = sub.add_parser('a')\n"
        "    kind = str\n"  # binds a name another block may use
        "    s.add_argument('--x', type=kind)\n"
        "    add_data(s)\n"
        "    s.set_defaults(func=cmd_a)\n"
        "    s = sub.add_parser('b')\n"
        "    s.add_argument('--y', type=kind)\n"
        "    s.set_defaults(func=cmd_b)\n").body[0]
    shared, blocks = code.parser_blocks(builder)
    lines = {name: ast.unparse(ast.Module(body=b, type_ignores=[])).splitlines()
             for name, b in [("shared", shared), *blocks.items()]}
    assert lines["shared"] == ["sub = P().add_subparsers()", "kind = str"]
    assert lines["a"] == ["s = sub.add_parser('a')", "kind = str", "s.add_argument('--x', "
                          "type=kind)", "add_data(s)", "s.set_defaults(func=cmd_a)"]
    assert lines["b"][0] == "s = sub.add_parser('b')" and len(lines["b"]) == 3


def test_a_module_a_commands_arguments_use_through_a_lazy_import_is_its_code():
    """The parser's lazy imports are not followed (code.command_line says why), so a module
    a command's own block uses through one (neuron's --cost choices read `schemas`, plot's
    roles `figures`) must be one the command runs anyway; else an edit to it would leave
    that command's results current."""
    checked = 0
    for holder, name in code.BUILDERS.items():
        builder = code.definitions(code.PACKAGE, holder)[name]
        lazy = code.package_imports(builder, holder)  # the modules it imports inside itself
        for command, block in code.parser_blocks(builder)[1].items():
            used = code.names_in(block) & lazy
            assert used <= set(code.modules_of(command)), (command, used)
            checked += len(used)
    assert checked >= 2  # neuron's schemas, plot's figures: the test sees what it checks
