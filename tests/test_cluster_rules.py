"""docs/cluster.md: every rule a cluster run submits (a command, not in `localrules`)
declares its own runtime and memory, since --default-resources replaces the profile's."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_submitted_rule_declares_runtime_and_memory(monkeypatch):
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import OutputSettings, ResourceSettings

    monkeypatch.chdir(ROOT)
    with SnakemakeApi(OutputSettings()) as api:
        workflow = api.workflow(resource_settings=ResourceSettings(),
                                snakefile=ROOT / "Snakefile", workdir=ROOT)._workflow
        submitted = [r for r in workflow.rules
                     if r.shellcmd is not None and r.name not in workflow._localrules]
        assert {"train", "svm"} <= {r.name for r in submitted}
        bare = [r.name for r in submitted if not {"runtime", "mem_mb"} <= set(r.resources)]
    assert bare == []
