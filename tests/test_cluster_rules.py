"""docs/cluster.md: every rule a cluster run submits (a command, not in `localrules`)
declares its own runtime and memory, since --default-resources replaces the profile's."""


def test_every_submitted_rule_declares_runtime_and_memory(workflow):
    submitted = [r for r in workflow.rules
                 if r.shellcmd is not None and r.name not in workflow._localrules]
    assert {"train", "svm"} <= {r.name for r in submitted}
    bare = [r.name for r in submitted if not {"runtime", "mem_mb"} <= set(r.resources)]
    assert bare == []
