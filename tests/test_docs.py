"""The documentation stands on its own: every link and every backticked repository path
of every document (nndl3.docs.FILES) resolves inside the repository, and docs/ names every
run, module and config file. Values the documents restate: tests/test_restated_values.py."""

import re
from pathlib import Path

import pytest
import yaml

from nndl3 import paths
from nndl3.docs import documents

from .test_restated_values import word

ROOT = Path(__file__).resolve().parents[1]
DOCS = documents(ROOT)  # nndl3.docs.FILES: the one list of the repository's documents
# Top-level entries of the repository a backticked path can start with.
COMMITTED = ("Snakefile", "workflow", "config", "src", "tests", "benchmarks", "docs",
             "profiles", ".ci", "data", "figures", "results", "pyproject.toml",
             "requirements.lock", "README.md", "tools", "book_runs")
# Outputs of the workflow (git-ignored): named in the text, never committed.
GENERATED = tuple(f"{folder}/" for folder in paths.OUTPUT_FOLDERS)

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
CODE = re.compile(r"`([^`\s]+)`")
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def links(text: str) -> list[str]:
    """Relative link targets (no scheme, no pure anchor), without their #anchor."""
    targets = [m.group(1) for m in LINK.finditer(FENCE.sub("", text))]
    return [t.split("#")[0] for t in targets if not re.match(r"[a-z]+:|#", t)]


def repo_paths(text: str) -> list[str]:
    """Backticked tokens that name a committed file or folder of the repository."""
    paths = []
    for token in CODE.findall(FENCE.sub("", text)):
        path = token.split("::")[0].rstrip("/.,:")
        if any(c in path for c in "<>*{}$=()[]") or path.startswith(GENERATED) and \
                not path.endswith("README.md"):
            continue
        if path.split("/")[0] in COMMITTED and (path in COMMITTED or "/" in path):
            paths.append(path)
    return paths


def pytest_ids(text: str) -> list[tuple[str, str]]:
    """(file, test function) of each backticked pytest id, `tests/x.py::test_y[params]`."""
    ids = [token.split("::")[:2] for token in CODE.findall(FENCE.sub("", text))
           if token.startswith("tests/") and "::" in token]
    return [(path, name.split("[")[0]) for path, name in ids]


def broken(doc: Path) -> list[str]:
    text = doc.read_text()
    found = []
    for target in links(text):
        resolved = (doc.parent / target).resolve()
        if not resolved.is_relative_to(ROOT) or not resolved.exists():
            found.append(f"link {target}")
    for path in repo_paths(text):
        if not (ROOT / path).exists():
            found.append(f"path `{path}`")
    for path, name in pytest_ids(text):
        if (ROOT / path).exists() and f"def {name}(" not in (ROOT / path).read_text():
            found.append(f"test `{path}::{name}`")
    return found


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_links_and_paths_resolve_inside_the_repository(doc):
    assert broken(doc) == []


def test_a_broken_link_or_path_is_found(tmp_path, monkeypatch):
    doc = ROOT / "docs" / "design.md"
    text = doc.read_text()
    for bad in ("[x](missing.md)", "[x](../../shared/spec/DESIGN.md)", "`src/nndl3/gone.py`",
                "![f](img/none.png)", "`tests/test_docs.py::test_gone[a-b]`"):
        monkeypatch.setattr(Path, "read_text", lambda self, bad=bad: text + "\n" + bad)
        assert len(broken(doc)) == 1, bad


def test_the_extractors_see_what_they_should():
    text = ("See [a](docs/a.md#x), [web](http://example.org), [top](#t), ![i](img/p.png)\n"
            "`src/nndl3/cli.py`, `tests/test_x.py::test_y`, `results/runs/<run>/seed-1.json`,"
            " `figures/README.md`, `figures/a.png`, `eta`, `snakemake --lint`\n"
            "```\n[not](checked.md) `src/in_a_fence.py`\n```\n")
    assert links(text) == ["docs/a.md", "img/p.png"]
    assert repo_paths(text) == ["src/nndl3/cli.py", "tests/test_x.py", "figures/README.md"]


def test_experiments_doc_names_every_run():
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    text = re.sub(r"<!-- generated: .*?<!-- end generated -->", "",
                  (ROOT / "docs" / "experiments.md").read_text(), flags=re.S)  # prose only
    missing = [run for kind in ("runs", "neuron") for run in config[kind]
               if f"`{run}`" not in text]
    assert missing == [], f"docs/experiments.md does not mention {missing}"


def test_design_doc_names_every_module_and_config_file():
    """docs/design.md's package table names every module of src/nndl3, and its layout every
    file of config/: a module or config file added without a line there fails here."""
    text = (ROOT / "docs" / "design.md").read_text()
    table = text[text.index("## The package"):text.index("## Conventions")]
    modules = [p.name for p in sorted((ROOT / "src" / "nndl3").glob("*.py"))
               if not p.name.startswith("__")] + ["run.schema.yaml"]
    assert [m for m in modules if f"`{m}`" not in table] == []
    named = re.findall(r"`([a-z_]+\.(?:py|yaml))`", table)
    assert [m for m in named if m not in modules] == []  # and no module that is gone
    layout = text[text.index("## Layout"):text.index("## The package")]
    configs = [p.name for p in sorted((ROOT / "config").iterdir())]
    assert [c for c in configs if c not in layout] == []


def test_readme_targets_table_has_every_experiment():
    """README.md's target table has a row for every experiment target of
    config/figures.yaml (what each draws is figures/README.md's generated table)."""
    experiments = yaml.safe_load((ROOT / "config" / "figures.yaml").read_text())["experiments"]
    text = (ROOT / "README.md").read_text()
    table = text[text.index("| target | what it makes |"):].split("\n\n")[0]
    rows = [line.split(" | ")[0] for line in table.splitlines() if line.startswith("| `")]
    assert [e for e in experiments if f"| `{e}`" not in rows] == []
    # each row's section is its figures' (config/figures.yaml `section`)
    figures = yaml.safe_load((ROOT / "config" / "figures.yaml").read_text())["figures"]
    for name, drawn in experiments.items():
        (line,) = [x for x in table.splitlines() if x.startswith(f"| `{name}` |")]
        sections = {figures[f]["section"] for f in drawn}
        stated = re.match(r"section (\d+)\b", line.split(" | ")[1])
        assert stated and {int(stated[1])} == sections, (name, sections)
    # the counts and settings a row states are its figures'
    neuron_figures = [f for f in figures.values() if f["section"] == 1]
    plots = [n for n in experiments["overfitting"]
             if n.startswith("overfitting_") and n not in ("overfitting_overlay",
                                                            "overfitting_full")]
    mus = {s["label"].split(",")[0] for s in figures["momentum_cost"]["series"]} - {"mu = 0"}
    for name, said in {
            "single_neuron": f"{word(len(neuron_figures))} cost curves",
            "overfitting": f"the {word(len(plots))} overfitting plots, the overlay",
            "rotation": f"its {figures['digit_5_rotated']['degrees']}-degree rotation",
            "learning_rate_sweep": f"the text's {word(len(figures['learning_rate']['series']))}"
                                   " learning rates",
            "momentum": f"at {word(len(mus))} values of mu",
            "chapter1": f"the first {word(figures['digits_504192']['count'])} digits"}.items():
        (line,) = [x for x in table.splitlines() if x.startswith(f"| `{name}` |")]
        assert said in line, (name, said)


def test_the_run_settings_block_writes_each_runs_settings_as_the_config_does(tmp_path):
    from nndl3 import docs

    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text(yaml.safe_dump({
        "runs": {"a": {"description": "d", "eta": 0.1, "sizes": [784, 100, 10],
                       "rotation": {"max_degrees": 15, "copies": 1}}, "b": {}},
        "neuron": {"n": {"w": 0.6, "cost": "quadratic"}}}, sort_keys=False))
    assert docs.run_settings(tmp_path).splitlines()[2:] == [
        "| `a` | `eta: 0.1`, `sizes: [784, 100, 10]`, `rotation: {max_degrees: 15, copies: 1}` |",
        "| `b` | - |"]
    assert docs.neuron_settings(tmp_path).splitlines()[2:] == [
        "| `n` | `w: 0.6`, `cost: quadratic` |"]


def test_the_readme_figures_block_reads_the_aggregates_of_the_runs_it_draws():
    """The weight-init-band block names its inputs by hand: they must be the aggregates of
    the runs whose published curves README_FIGURE draws, or the block would stay as it was
    (its inputs missing) when the figure changes."""
    from nndl3 import docs, paths

    entry = yaml.safe_load((ROOT / paths.FIGURES_CONFIG).read_text())["figures"][
        docs.README_FIGURE]
    drawn = {paths.AGGREGATE.format(run=s["run"]) for s in entry["series"] if s.get("book")}
    named = {i for i in docs.BLOCKS["weight-init-band"].inputs
             if Path(i).parent == Path(paths.AGGREGATE).parent}
    assert drawn and named == drawn


@pytest.mark.parametrize("name", ["CALIBRATION_TIMES", "RECIPE_TIMES"])
def test_the_job_time_folders_the_docs_read_are_a_rules_benchmarks(workflow, name):
    """A rule renamed, or its benchmark moved, would leave its timing block without jobs."""
    from nndl3 import docs

    folder = getattr(docs, name) + "/"
    assert any(str(rule.benchmark).startswith(folder) for rule in workflow.rules
               if rule.benchmark), f"docs.{name}: no rule's benchmark files are in {folder}"


def output_path_shapes() -> list[str]:
    """Every path pattern of nndl3.paths under an output folder (the workflow writes them)."""
    return [v for v in vars(paths).values() if isinstance(v, str) and v.startswith(GENERATED)]


def named_output_paths(text: str) -> list[str]:
    """Backticked paths under an output folder, outside generated blocks and code fences."""
    from nndl3.docs import BLOCK

    tokens = CODE.findall(FENCE.sub("", BLOCK.sub("", text)))
    return [t.rstrip(".,:") for t in tokens if t.startswith(GENERATED) and "/" in t]


def is_output_path(token: str, shapes: list[str]) -> bool:
    """Whether `token` (<x> and * its wildcards) names a file or folder of one of `shapes`
    ({x} theirs), or a committed file."""
    if (ROOT / token).exists():
        return True
    folder, token = token.endswith("/"), token.rstrip("/")

    def pattern(text: str, holes: str) -> re.Pattern:  # each hole any one path segment
        return re.compile("[^/]*".join(map(re.escape, re.split(holes, text))))

    token_holes, shape_holes = r"<[^>]*>|\*", r"\{[^}]*\}"
    sample = re.sub(token_holes, "x0", token)
    for shape in shapes:
        filled = re.sub(shape_holes, "x0", shape)
        if (pattern(shape, shape_holes).fullmatch(sample)
                or pattern(token, token_holes).fullmatch(filled)
                or folder and filled.startswith(sample + "/")):
            return True
    return False


def test_every_output_path_the_documents_name_is_one_the_workflow_writes():
    """A path under data/, results/, figures/ or logs/ in the prose (these are not committed,
    so the link check passes them over) has the shape of a nndl3.paths pattern, or is a
    committed file there: a renamed pattern leaves no document pointing at the old name."""
    shapes = output_path_shapes()
    named = [(str(d.relative_to(ROOT)), t) for d in DOCS for t in named_output_paths(
        d.read_text())]
    design = (ROOT / "docs" / "design.md").read_text()
    flow = design[design.index("## Data flow"):design.index("Each arrow is one")]
    named += [("docs/design.md (data flow)", t.rstrip(".,:")) for t in flow.split()
              if t.startswith(GENERATED) and "/" in t]
    assert len(named) > 30
    assert [(d, t) for d, t in named if not is_output_path(t, shapes)] == []
    # the check can fail: a pattern renamed, a folder of none
    assert not is_output_path("results/run/<run>/seed-<seed>.json", shapes)
    assert not is_output_path("results/calibrations/", shapes)
