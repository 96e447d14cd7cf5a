"""Run the shell commands of the documentation cheaply, in a clean checkout.

`commands_of(markdown)` gives a document's fenced shell blocks, verbatim; `hints()` the
commands that error messages in src/ tell the user to run. `run_script(text, checkout)`
runs such text with bash itself, so that continuations, comments, heredocs, `$(...)` and
`VAR=value command` prefixes mean what they mean to a reader, but with the commands that
would do real work replaced by shell functions that call this file as a script:

- `snakemake ...`: a dry run (`-n`) of the same command line; the outputs it would make
  are noted, so that a later command may name them. `--report FILE` collects the results:
  every output of the same command line without it must be one an earlier command makes;
  `--unlock` and `--lint` run for real. A command without
  `--cores` needs the workflow profile to set `cores` (else Snakemake refuses to run).
- `python -m nndl3 ...`: `python -m nndl3 --check-only ...`, which parses the arguments
  and checks the command's inputs; a file an earlier command would make counts as there.
- `python -m pytest ...`: collected, not run (`--collect-only`): it must select a test.
- `python FILE ...`, `bash FILE ...`: FILE must exist (bash: and parse, `bash -n`).
- `pip install ...`: every `-r FILE` exists; an editable or local path has a
  pyproject.toml with the extras named in `path[extra,...]`.
Everything else (`cat`, `echo`, `python -c`, ...) runs for real, in the checkout.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
SHELL = ("bash", "sh", "shell", "")  # an unlabelled block counts as shell: label others
COMMAND = re.compile(r"`((?:snakemake|python -m nndl3|python|pip|bash)\b[^`]*)`")
DRY_RUN_OUTPUT = re.compile(r"^\s+output: (.+)$", re.MULTILINE)
MADE = "NNDL3_DOC_MADE"  # env: the file listing what earlier commands would make

PREAMBLE = """\
set -e -o pipefail
trap 'echo "documented command failed: $BASH_COMMAND" >&2' ERR
shim() { command "$NNDL3_DOC_PYTHON" "$NNDL3_DOC_SHIMS" "$@"; }
snakemake() { shim snakemake "$@"; }
python() { shim python "$@"; }
python3() { shim python "$@"; }
pip() { shim pip "$@"; }
bash() { shim bash "$@"; }
"""


def commands_of(markdown: str) -> list[str]:
    """The fenced shell blocks of a Markdown text, in order, verbatim."""
    return [m.group(2) for m in FENCE.finditer(markdown) if m.group(1) in SHELL]


def hints() -> dict[str, str]:
    """{where: command} for every backticked command in a string of src/ (docstrings and
    comments aside): the commands error messages tell the user to run."""
    found = {}
    for path in sorted((ROOT / "src").rglob("*.py")):
        tree = ast.parse(path.read_text())
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef))
                      and node.body and isinstance(node.body[0], ast.Expr)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and id(node) not in docstrings:
                for command in COMMAND.findall(node.value):
                    found[f"{path.relative_to(ROOT)}:{node.lineno}"] = command
    return found


def clean_checkout(where: Path) -> Path:
    """The repository's committed files (`git ls-files`) copied to `where`: no results."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                           check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        source = ROOT / name
        if source.exists() or source.is_symlink():
            (where / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, where / name, follow_symlinks=False)
    return where


def run_script(text: str, checkout: Path) -> subprocess.CompletedProcess:
    """Run shell text in `checkout` with the cheap stand-ins of this module's docstring."""
    env = {**os.environ, "PYTHONPATH": str(checkout / "src"), "NNDL3_DOC_PYTHON": sys.executable,
           "NNDL3_DOC_SHIMS": __file__, MADE: str(checkout / ".doc-made")}
    env.pop("MNIST_DIR", None)  # a clean checkout, as a new reader has it
    return subprocess.run(["bash", "-c", PREAMBLE + text], cwd=checkout, env=env,
                          capture_output=True, text=True, timeout=600)


# --- the stand-ins, run as `python tools/doc_commands.py NAME ARGS...` -------------------

def fail(message: str) -> int:
    print(f"FAIL: {message}", file=sys.stderr)
    return 1


def real(*args: str) -> int:
    return subprocess.run(list(args)).returncode


def snakemake(args: list[str]) -> int:
    if {"--unlock", "--lint", "--help", "-h", "--version"} & set(args):
        return real(sys.executable, "-m", "snakemake", *args)
    report = "--report" in args
    if report:  # it collects the results, which it does not make
        i = args.index("--report")
        args = args[:i] + args[i + 2:]
    cores = {"--cores", "-c", "--jobs", "-j", "--profile"} & {a.split("=")[0] for a in args}
    profile = Path("profiles/default/config.yaml")
    if not cores and "cores" not in (yaml.safe_load(profile.read_text()) or {}):
        return fail(f"snakemake {shlex.join(args)}: no --cores, and {profile} sets no "
                    "default: Snakemake would stop with 'cores have to be specified'")
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-n", *args],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        print(proc.stdout + proc.stderr, file=sys.stderr)
        return fail(f"snakemake -n {shlex.join(args)}: exit {proc.returncode}")
    made = [p.strip() for line in DRY_RUN_OUTPUT.findall(proc.stdout) for p in line.split(",")]
    if report:
        listing = Path(os.environ[MADE])
        earlier = set(listing.read_text().split()) if listing.is_file() else set()
        missing = [path for path in made if path not in earlier]
        return fail(f"snakemake --report: {len(missing)} result(s) it reports no earlier "
                    f"command makes (e.g. {missing[0]}): run the pipeline first") \
            if missing else 0
    with open(os.environ[MADE], "a") as listing:
        listing.writelines(f"{path}\n" for path in made)
    return 0


def nndl3(args: list[str]) -> int:
    """--check-only, with whatever earlier commands would have made standing in as empty
    files while it runs."""
    listing = Path(os.environ[MADE])
    made = set(listing.read_text().split()) if listing.is_file() else set()
    placeholders = [Path(p) for p in sorted(made) if not Path(p).exists()]
    try:
        for path in placeholders:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
        return real(sys.executable, "-m", "nndl3", "--check-only", *args)
    finally:
        for path in placeholders:
            path.unlink(missing_ok=True)


def python(args: list[str]) -> int:
    if args[:2] == ["-m", "nndl3"]:
        return nndl3(args[2:])
    if args[:2] == ["-m", "snakemake"]:
        return snakemake(args[2:])
    if args[:2] == ["-m", "pip"]:
        return pip(args[2:])
    if args[:2] == ["-m", "pytest"]:
        code = real(sys.executable, "-m", "pytest", "--collect-only", "-q",
                    "-p", "no:cacheprovider", *args[2:])
        return fail(f"pytest {shlex.join(args[2:])}: selects no test") if code == 5 else code
    if args and not args[0].startswith("-"):
        return 0 if Path(args[0]).is_file() else fail(f"python {args[0]}: no such file")
    return real(sys.executable, *args)  # python -c ..., python -m <other module>


def pip(args: list[str]) -> int:
    if not args or args[0] != "install":
        return fail(f"pip {shlex.join(args)}: only `pip install` is documented")
    words = iter(args[1:])
    for word in words:
        if word in ("-r", "--requirement"):
            requirements = next(words, "")
            if not Path(requirements).is_file():
                return fail(f"pip install -r {requirements}: no such file")
        elif word in ("-e", "--editable") or word.startswith((".", "/")):
            where = next(words, "") if word.startswith("-") else word
            path, _, extras = where.partition("[")
            project = Path(path) / "pyproject.toml"
            if not project.is_file():
                return fail(f"pip install {where}: no {project}")
            unknown = set(filter(None, extras.rstrip("]").split(","))) - extras_of(project)
            if unknown:
                return fail(f"pip install {where}: {project} has no extra {sorted(unknown)}")
    return 0


def extras_of(pyproject: Path) -> set[str]:
    """The names of [project.optional-dependencies] (no tomllib: Python 3.10 has none)."""
    header = "[project.optional-dependencies]"
    text = pyproject.read_text()
    table = text.split(header, 1)[1].split("\n[", 1)[0] if header in text else ""
    return set(re.findall(r"^([A-Za-z0-9][\w.-]*)\s*=", table, re.MULTILINE))


def bash(args: list[str]) -> int:
    if args and args[0] == "-c":
        return real("bash", *args)
    script = next((a for a in args if not a.startswith("-")), "")
    if not Path(script).is_file():
        return fail(f"bash {script}: no such file")
    return real("bash", "-n", script)


if __name__ == "__main__":
    STANDS_IN = {"snakemake": snakemake, "python": python, "pip": pip, "bash": bash}
    name, *arguments = sys.argv[1:] or [""]
    if name not in STANDS_IN:  # called by run_script's shell functions, not by hand
        print(f"usage: {sys.argv[0]} {{{','.join(STANDS_IN)}}} ARGS... (what a documented "
              "command runs as; see the module's docstring)", file=sys.stderr)
        sys.exit(0 if name in ("-h", "--help") else 2)
    if MADE not in os.environ:  # its listing of what earlier commands made: run_script's
        print(f"error: {sys.argv[0]} {name}: runs inside run_script's shell only (no "
              f"{MADE}); see the module's docstring", file=sys.stderr)
        sys.exit(2)
    sys.exit(STANDS_IN[name](arguments))
