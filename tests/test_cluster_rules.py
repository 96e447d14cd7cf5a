"""docs/cluster.md: every rule a cluster run submits (a command, not in `localrules`)
declares its own runtime and memory, since --default-resources replaces the profile's."""


def submitted_rules(workflow) -> list:
    """The rules a cluster run submits: those with a command, not in `localrules`."""
    return [r for r in workflow.rules
            if r.shellcmd is not None and r.name not in workflow._localrules]


def test_every_submitted_rule_declares_runtime_and_memory(workflow):
    submitted = submitted_rules(workflow)
    assert {"train", "svm"} <= {r.name for r in submitted}
    bare = [r.name for r in submitted if not {"runtime", "mem_mb"} <= set(r.resources)]
    assert bare == []


def test_every_submitted_rule_asks_one_core_but_the_literature_runs(workflow):
    """docs/cluster.md: threads one per submitted job (BLAS runs one thread per job), but
    a literature run, two with distortions (workflow/rules/common.smk literature_threads)."""
    submitted = [r for r in submitted_rules(workflow) if r.name != "literature_train"]
    assert [r.name for r in submitted if r.resources["_cores"] != 1] == []
