"""End to end: Snakemake killed (SIGKILL, whole process group) while a training job runs,
then rerun as the README says, completes with records identical to an uninterrupted run's.

Selected with `-m resume` (CI runs it and prints its time). It works in a copy of
the workflow under tmp_path with data/mnist.npz linked, on a reduced config: one seed,
`overfitting`'s two runs shortened.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import DATA

ROOT = Path(__file__).resolve().parents[1]
SMALL = """\
seeds: [1]
runs:
  overfit_1k: {epochs: 150}
  xent_30: {epochs: 2, train_size: 2000}
"""
COMMAND = ["--cores", "2", "overfitting", "--configfile", "small.yaml"]
RECORDS = ["results/runs/overfit_1k/seed-1.json", "results/runs/xent_30/seed-1.json"]

pytestmark = pytest.mark.resume


@pytest.fixture(autouse=True, scope="module")
def prepared_data():
    """Selected explicitly, the test fails without the data, saying why, instead of skipping."""
    if not DATA.is_file():
        pytest.fail(f"{DATA.relative_to(ROOT)} missing: the resume test trains on the real "
                    "MNIST; prepare it first with `snakemake prepare_data` (reads MNIST_DIR, "
                    "else downloads)", pytrace=False)


def workflow_copy(where: Path) -> Path:
    where.mkdir()
    shutil.copy(ROOT / "Snakefile", where)
    shutil.copy(ROOT / "pyproject.toml", where)  # the Snakefile's lowest Snakemake
    # benchmarks/: the workflow's rule backprop_claims runs a script there (its digest is read
    # when the workflow is parsed)
    for folder in ("workflow", "config", "profiles", "book_runs", "benchmarks"):
        shutil.copytree(ROOT / folder, where / folder)
    (where / "src" / "nndl3").mkdir(parents=True)  # the config schema refers to the package's
    for schema in (ROOT / "src" / "nndl3").glob("*.schema.yaml"):
        shutil.copy(schema, where / "src" / "nndl3")
    (where / "data").mkdir()
    (where / "data" / "mnist.npz").symlink_to(DATA.resolve())
    (where / "small.yaml").write_text(SMALL)
    return where


def snakemake(cwd, *args, **kwargs):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.Popen([sys.executable, "-m", "snakemake", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            **kwargs)


def run(cwd, *args) -> str:
    proc = snakemake(cwd, *args)
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, out
    return out


def metrics(cwd: Path) -> dict:
    return {r: json.loads((cwd / r).read_text())["metrics"] for r in RECORDS}


def test_killed_run_resumes_to_the_same_records(tmp_path):
    killed = workflow_copy(tmp_path / "killed")
    proc = snakemake(killed, *COMMAND, start_new_session=True)  # its own process group
    log = killed / "logs" / "train" / "overfit_1k.log"
    deadline = time.monotonic() + 120
    while not (log.is_file() and log.read_text().count("\n") >= 3):
        assert proc.poll() is None, proc.stdout.read()
        assert time.monotonic() < deadline, "training never started"
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)  # Snakemake and every job it started
    proc.communicate()
    assert not (killed / RECORDS[0]).exists(), "killed too late: the training had finished"
    # Atomic writes: whatever the kill left in results/ is whole JSON. Which jobs had
    # finished by the kill varies (maybe none), so this part may check nothing;
    # tests/test_atomic.py holds that a failed write leaves nothing.
    for path in (killed / "results").rglob("*.json"):
        json.loads(path.read_text())

    # Snakemake's lock outlives the kill: the same command refuses until `--unlock`.
    proc = snakemake(killed, *COMMAND)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode != 0 and "--unlock" in out, out
    run(killed, "--unlock")
    out = run(killed, *COMMAND)  # profiles/default reruns the incomplete jobs
    assert "steps (100%) done" in out

    fresh = workflow_copy(tmp_path / "fresh")
    run(fresh, "--cores", "2", *RECORDS, "--configfile", "small.yaml")
    assert metrics(killed) == metrics(fresh)
