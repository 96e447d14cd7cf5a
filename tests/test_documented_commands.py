"""Every command the documentation shows, and every command an error message names, runs:
on a clean checkout (the committed files, no results), `snakemake` commands as dry runs,
`python -m nndl3` commands parsed and their inputs checked (`--check-only`), the others
checked for the files they name (tools/doc_commands.py says how each is run).

Minutes, not seconds (each Snakemake dry run costs seconds): selected with `-m doccommands`,
which .ci/run runs beside the unit tests.
"""

import pytest

from nndl3.docs import documents
from tools import doc_commands
from tools.doc_commands import ROOT

DOCS = documents(ROOT)  # nndl3.docs.FILES: the one list of the repository's documents
def cases():
    return [pytest.param(doc, id=str(doc.relative_to(ROOT))) for doc in DOCS
            if doc_commands.commands_of(doc.read_text())]


@pytest.fixture
def checkout(tmp_path):
    return doc_commands.clean_checkout(tmp_path / "checkout")


def assert_runs(text, checkout):
    proc = doc_commands.run_script(text, checkout)
    assert proc.returncode == 0, f"{text}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
    return proc


@pytest.mark.doccommands
@pytest.mark.parametrize("doc", cases())
def test_the_commands_of_a_document_run(doc, checkout):
    assert_runs("\n".join(doc_commands.commands_of(doc.read_text())), checkout)


@pytest.mark.doccommands
@pytest.mark.parametrize("where", sorted(doc_commands.hints()))
def test_a_command_an_error_message_names_runs(where, checkout):
    assert_runs(doc_commands.hints()[where], checkout)


# --- the extractor and the runner: they find what they should, and fail where they should --

SYNTHETIC = """\
Text.

```bash
cat > mine.yaml <<'YAML'
runs:   # a comment inside a heredoc stays
  overfit_1k: {eta: 0.1}
YAML
snakemake --cores 2 \\
    NAME --configfile mine.yaml   # a comment
```

```yaml
not: [a, command]
```
"""


def test_the_extractor_keeps_a_block_verbatim():
    blocks = doc_commands.commands_of(SYNTHETIC)
    assert len(blocks) == 1
    assert blocks[0].startswith("cat > mine.yaml <<'YAML'\nruns:   # a comment")
    assert blocks[0].endswith("    NAME --configfile mine.yaml   # a comment\n")


def test_hints_are_found_in_messages_not_docstrings():
    found = doc_commands.hints()
    assert "snakemake prepare_data" in found.values()
    assert not any(command.startswith("python -m nndl3 <") for command in found.values())


@pytest.mark.doccommands
def test_a_target_that_does_not_exist_fails(checkout):
    text = doc_commands.commands_of(SYNTHETIC.replace("NAME", "no_such_target"))[0]
    proc = doc_commands.run_script(text, checkout)
    assert proc.returncode != 0 and "no_such_target" in proc.stderr
    assert (checkout / "mine.yaml").is_file()  # the heredoc ran for real


@pytest.mark.doccommands
@pytest.mark.parametrize("command, reason", [
    ("python -m nndl3 train --spec .ci/quick.yaml --run q --out-dir o", "prepare_data"),
    ("python -m nndl3 train --spec gone.yaml --run q --out-dir o", "gone.yaml"),
    ("python -m nndl3 train --spec .ci/quick.yaml --run q --out-dir o --no-such-option",
     "no-such-option"),
    ("python -m nndl3 no-such-command", "no-such-command"),
    ("python benchmarks/gone.py", "gone.py"),
    ("bash .ci/gone", ".ci/gone"),
    ("pip install -r gone.lock", "gone.lock"),
    ("pip install -e '.[no_such_extra]'", "no_such_extra"),
    ("python -m pytest -q -m no_such_marker", "selects no test"),
])
def test_a_broken_command_fails(command, reason, checkout):
    proc = doc_commands.run_script(command, checkout)
    assert proc.returncode != 0 and reason in proc.stderr, proc.stderr


@pytest.mark.doccommands
def test_a_command_without_cores_needs_the_profile_default(checkout):
    (checkout / "profiles" / "default" / "config.yaml").write_text("show-failed-logs: true\n")
    proc = doc_commands.run_script("snakemake figures/sigmoid.png", checkout)
    assert proc.returncode != 0 and "cores have to be specified" in proc.stderr


@pytest.mark.doccommands
def test_the_report_needs_the_pipeline_first(checkout):
    proc = doc_commands.run_script("snakemake --report report.html", checkout)
    assert proc.returncode != 0 and "run the pipeline first" in proc.stderr, proc.stderr
    assert_runs("snakemake --cores 2\nsnakemake --report report.html\n", checkout)


@pytest.mark.doccommands
def test_a_file_an_earlier_command_makes_counts_as_there(checkout):
    assert_runs("snakemake prepare_data\n"
                "python -m nndl3 train --spec .ci/quick.yaml --run q --out-dir o\n", checkout)
    assert not (checkout / "data" / "mnist.npz").exists()  # the stand-in is gone again


def test_check_only_knows_the_inputs_of_every_command():
    from nndl3 import cli

    from .conftest import cli_commands

    commands = cli_commands()
    assert set(commands) == set(cli.INPUTS)
    for name in cli.INPUTS:
        dests = {a.dest for a in commands[name]._actions}
        assert set(cli.inputs_of(name)) <= dests, name
