"""Which code made a result: a digest of the package code that one command runs.

A command's code is its `cli.cmd_<command>` function, the cli helpers it calls, the
command line around it (its module's statements and how its arguments are parsed: a
default of the parser is an input of the command too), and every package module it
imports, followed import by import (`from . import x`, `from .x import y`, at any depth, so
lazy imports count), with each of the package's schemas that this code names (their
defaults complete a run's settings, their bounds refuse values), and the versions of the
libraries the package runs (`library_versions`). Each module is hashed as its
syntax tree without docstrings, so that an edit to a comment, a docstring or the layout
changes no digest, and an edit to code changes the digest of exactly the commands that
run it.

The workflow passes each rule's digest as a param (Snakemake reruns a job whose params
changed, and everything downstream); results record it (`code`) and `check` refuses
results whose digest is not this checkout's. Computing them parses the package's sources
(it imports none of them); every Snakemake start and many jobs ask for them, so they are
kept in `DIGESTS` under the current directory, for sources of exactly these bytes and
libraries of these versions.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import re
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
# the digests computed for the sources whose `sources_key` it holds, under the current
# directory (git-ignored, as Numba's cache beside it): one file, replaced whole
DIGESTS = Path(".cache", "nndl3", "code-digests.json")
CLI = "cli"
# Commands defined outside cli.py: their prefix -> the module holding `cmd_<the rest>`.
COMMAND_MODULES = {"literature-": "literature_cli"}
# Where each command module declares its commands' arguments (a default, a type: inputs of
# the command too): a block of statements a command, from `s = sub.add_parser("<command>",
# ...)` to its `s.set_defaults(...)`, among statements every command passes through.
BUILDERS = {CLI: "parser", "literature_cli": "add_commands"}
# What runs every command of a module around its `cmd_` function (parsing, then guarding
# its output and its errors); and the `python -m nndl3` module that calls it.
RUNNERS = {CLI: ("main",)}
CHECK_ONLY = ("check_inputs",)  # what runs instead of a command (--check-only): no result
MAIN = "__main__"


def command_module(command: str) -> tuple[str, str]:
    """(the module defining `command`, the name of its function there)."""
    for prefix, module in COMMAND_MODULES.items():
        if command.startswith(prefix):
            return module, f"cmd_{command[len(prefix):].replace('-', '_')}"
    return CLI, f"cmd_{command.replace('-', '_')}"


def normalized(tree: ast.AST) -> str:
    """The tree without docstrings, dumped without line numbers (comments are not in it)."""
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree, annotate_fields=False)


def package_imports(tree: ast.AST, module: str) -> set[str]:
    """The package modules `tree` (of package module `module`) imports, anywhere in it."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:  # from . import a, b: modules, or names of __init__
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "nndl3":
            parts = node.module.split(".")
            # from nndl3 import a, b (a script's form): modules, or names of __init__
            found.update(parts[1:2] or ["__init__", *(alias.name for alias in node.names)])
    return {m for m in found if m != module}


# (path, mtime, size) -> (tree, imports, normalized dump, schemas named): parse once
_SEEN: dict = {}


def _source(package: Path, module: str):
    path = package / f"{module}.py"
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _SEEN:
        text = path.read_text()
        tree = ast.parse(text, filename=path.name)
        imports = package_imports(tree, module)
        dump = normalized(tree)  # the tree loses its docstrings
        _SEEN[key] = (tree, imports, dump, schemas_named(dump))
    return _SEEN[key]


# a string of the code naming a schema ("run.schema.yaml", or a path ending in one), as
# `normalized` dumps it (docstrings dropped): the schemas the code reads
SCHEMA_CONSTANT = re.compile(r"Constant\('([^'\\]*\.schema\.yaml)'\)")


def schemas_named(dump: str) -> set[str]:
    """The file names of the schemas a normalized dump's strings name."""
    return {Path(name).name for name in SCHEMA_CONSTANT.findall(dump)}


def parsed(package: Path, module: str) -> ast.Module:
    return _source(package, module)[0]


def module_exists(package: Path, module: str) -> bool:
    return (package / f"{module}.py").is_file()


def closure(modules, package: Path = PACKAGE) -> list[str]:
    """`modules` and every package module they import, transitively, sorted."""
    seen, todo = set(), [m for m in modules if module_exists(package, m)]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        found = _source(package, module)[1] | {"__init__"}
        todo += [m for m in found if module_exists(package, m) and m not in seen]
    return sorted(seen)


def reachable(defs: dict, root: str, follow=lambda name: True) -> dict:
    """The definitions `root` names, transitively (those `follow` accepts), with root."""
    seen, todo = {}, [root]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen[current] = defs[current]
        todo += [n.id for n in ast.walk(defs[current])
                 if isinstance(n, ast.Name) and n.id in defs and n.id not in seen
                 and follow(n.id)]
    return seen


def definitions(package: Path, module: str) -> dict:
    return {node.name: node for node in parsed(package, module).body
            if isinstance(node, (ast.FunctionDef, ast.ClassDef))}


def command_functions(command: str, package: Path) -> list[ast.AST]:
    """cli's `cmd_<command>` and the cli functions it calls, transitively."""
    module, name = command_module(command)
    defs = definitions(package, module)
    if name not in defs:
        raise KeyError(f"{module}.py has no {name} (command {command!r})")
    found = reachable(defs, name)
    return [found[k] for k in sorted(found)]


# An argument's words for its --help: no part of what a command computes.
HELP_KEYWORDS = {"help", "metavar", "description", "epilog", "formatter_class"}


class WithoutHelp(ast.NodeTransformer):
    def visit_Call(self, node: ast.Call) -> ast.Call:
        node.keywords = [k for k in node.keywords if k.arg not in HELP_KEYWORDS]
        return self.generic_visit(node)


def command_line(command: str, package: Path) -> list[str]:
    """The command line around a command, each part normalized: `python -m nndl3`, the
    statements of cli and of the module holding the command (their imports are followed by
    `modules_of`), what runs every command (RUNNERS), and of the parser (BUILDERS) its
    shared statements and the command's own block, with the functions and classes these
    name, without their help texts. What they import lazily is not followed (the parser's
    reach into every command's module would put each in every closure), but for cli's own
    functions, imported by name. So an edit to how a command's arguments are parsed is code
    of that command; one to what all commands share, code of every one."""
    module = command_module(command)[0]
    found = {MAIN: _source(package, MAIN)[2]}
    for holder in dict.fromkeys((CLI, module)):
        shared, commands = command_line_parts(package, holder)
        if holder == module and command not in commands:
            raise KeyError(f"{holder}.py's {BUILDERS[holder]} declares no command {command!r}")
        found |= shared | commands.get(command, {})
    return [found[k] for k in sorted(found)]


def command_line_parts(package: Path, holder: str) -> tuple[dict, dict]:
    """({name: normalized part} every command of `holder` runs, {command: its own parts})."""
    stats = [(package / f"{m}.py").stat() for m in dict.fromkeys((holder, CLI))]
    key = ("command line", str(package), holder,
           *((st.st_mtime_ns, st.st_size) for st in stats))
    if key not in _SEEN:
        defs = definitions(package, holder)
        builder = BUILDERS[holder]
        shared, blocks = parser_blocks(defs[builder])
        from_cli = cli_imports(defs[builder])
        named = named_functions(package, holder, shared, from_cli=from_cli)
        for runner in RUNNERS.get(holder, ()):
            named |= named_functions(package, holder, [defs[runner]], CHECK_ONLY)
            named[f"{holder}.{runner}"] = defs[runner]
        statements = [node for node in parsed(package, holder).body if node not in defs.values()]
        common = {f"{holder}:": statements, f"{holder}.{builder}:": shared,
                  **{k: [v] for k, v in named.items()}}
        own = {name: {f"{holder}.{builder}:{name}": block,
                      **{k: [v] for k, v in named_functions(package, holder, block,
                                                            from_cli=from_cli).items()}}
               for name, block in blocks.items()}
        _SEEN[key] = (normalized_parts(common),
                      {name: normalized_parts(parts) for name, parts in own.items()})
    return _SEEN[key]


def normalized_parts(parts: dict) -> dict:
    """{name: its statements normalized, without help texts}."""
    return {k: normalized(WithoutHelp().visit(ast.parse(ast.unparse(
                ast.Module(body=v, type_ignores=[]))))) for k, v in parts.items()}


def parser_blocks(builder: ast.FunctionDef) -> tuple[list, dict[str, list]]:
    """(the statements of `builder` every command passes through, {command: its block}).
    A block's statement that does more than declare the block's own arguments (binds a
    name, or acts on another object) is every command's too: what it does may reach them."""
    shared, blocks, block, var = [], {}, None, None
    for node in builder.body:
        added = added_parser(node)
        if added is not None:
            name, var = added
            block = blocks.setdefault(name, [])
        if block is None:
            shared.append(node)
            continue
        block.append(node)
        if added is None and not declares(node, var):
            shared.append(node)
        if is_call_of(node, "set_defaults"):
            block = None
    return shared, blocks


def added_parser(node: ast.stmt) -> tuple[str, str] | None:
    """(the command, the variable) of a statement `s = sub.add_parser("<command>", ...)`."""
    if (isinstance(node, ast.Assign) and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and calls(node.value, "add_parser")):
        first = node.value.args[0] if node.value.args else None
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value, node.targets[0].id
    return None


def declares(node: ast.stmt, var: str) -> bool:
    """A call that declares the block's own arguments: a method of its parser `var`
    (`s.add_argument(...)`), or a helper given that parser alone (`add_data(s)`)."""
    if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
        return False
    call = node.value
    if isinstance(call.func, ast.Attribute):
        return isinstance(call.func.value, ast.Name) and call.func.value.id == var
    return (isinstance(call.func, ast.Name) and not call.keywords
            and [getattr(a, "id", None) for a in call.args] == [var])


def is_call_of(node: ast.stmt, method: str) -> bool:
    """A statement that is a call of `method` (`s.set_defaults(...)`)."""
    return isinstance(node, ast.Expr) and calls(node.value, method)


def calls(expr: ast.expr, method: str) -> bool:
    return (isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute)
            and expr.func.attr == method)


def cli_imports(tree: ast.AST) -> dict[str, str]:
    """{local name: cli's name} of what `tree` imports from cli by name (`from .cli import f`)."""
    return {alias.asname or alias.name: alias.name for n in ast.walk(tree)
            if isinstance(n, ast.ImportFrom) and n.level == 1 and n.module == CLI
            for alias in n.names}


def named_functions(package: Path, holder: str, nodes: list, skip=(),
                    from_cli: dict | None = None) -> dict:
    """{module.name: definition} of the functions and classes of `holder` the statements
    name, transitively (not the `cmd_` functions, nor the parser whole, nor `skip`), and of
    cli's that they use under a name imported from cli, in `from_cli` ({local name: cli's
    name}: the imports of the function holding the statements) or in a function reached."""
    defs = definitions(package, holder)

    def follow(name: str) -> bool:
        return not name.startswith("cmd_") and name != BUILDERS.get(holder) and name not in skip

    found = {}
    for name in sorted(n for n in names_in(nodes) if n in defs and follow(n)):
        found |= {f"{holder}.{k}": v for k, v in reachable(defs, name, follow).items()}
    if holder != CLI:
        imported = dict(from_cli or {})
        for definition in found.values():
            imported |= cli_imports(definition)
        used = sorted((names_in(nodes) | names_in(list(found.values()))) & set(imported))
        found |= named_functions(package, CLI, [ast.Name(imported[n]) for n in used])
    return found


def names_in(nodes: list) -> set[str]:
    return {n.id for node in nodes for n in ast.walk(node) if isinstance(n, ast.Name)}


def module_imports(package: Path, module: str = CLI) -> set[str]:
    """The modules `module` imports at module level (every command it holds runs them)."""
    top = ast.Module(body=[n for n in parsed(package, module).body
                           if isinstance(n, ast.ImportFrom)], type_ignores=[])
    return package_imports(top, module)


def modules_of(command: str, package: Path = PACKAGE) -> list[str]:
    """The package modules the command runs (its cli function's imports, followed)."""
    functions = command_functions(command, package)
    module = command_module(command)[0]
    direct = module_imports(package) | module_imports(package, module)
    # the command's own functions are hashed themselves (`digest`); the module holding them
    # is not followed whole, or one command's lazy imports would enter every other's closure
    direct = direct.union(*(package_imports(f, module) for f in functions))
    return closure(direct, package)


def schema_contents(package: Path, names) -> list[tuple[str, str]]:
    """(name, content) of each of the package's schemas among `names`, as parsed: a comment
    or the layout of one changes nothing."""
    import yaml

    found = []
    for path in sorted(package / name for name in set(names)):
        if not path.is_file():
            continue  # a schema of the workflow's (config.schema.yaml), not the package's
        stat = path.stat()
        key = (str(path), stat.st_mtime_ns, stat.st_size)
        if key not in _SEEN:
            _SEEN[key] = json.dumps(yaml.safe_load(path.read_text()), sort_keys=True)
        found.append((path.name, _SEEN[key]))
    return found


def digest(command: str, package: Path = PACKAGE) -> str:
    """16 hex digits naming the code `python -m nndl3 <command>` runs: as kept in DIGESTS
    for these very sources, else computed (`computed_digest`) and kept."""
    return _kept_or_computed(command, package, lambda: computed_digest(command, package))


def _kept_or_computed(name: str, package: Path, compute) -> str:
    """DIGESTS' digest `name` for the package's sources as they are; else compute(), kept
    under `name`. A script's name is its path and a hash of its folder's scripts: a new
    one replaces the entries of the same path (its folder's older versions)."""
    key = sources_key(package)
    kept = _kept(key)
    if name not in kept:
        path = name.rsplit(" ", 1)[0] + " "
        kept = {k: v for k, v in kept.items() if not k.startswith(path)}
        kept[name] = compute()
        _keep(key, kept)
    return kept[name]


def sources_key(package: Path) -> str:
    """What every digest of `package` is a function of: its path, the bytes of its sources
    and schemas (this module among them), Python's version, whose syntax trees they dump,
    and the libraries' (`library_versions`). Read anew at each call, so an edit a moment ago
    counts."""
    h = hashlib.sha256(f"{package}\0{sys.version_info[:2]}\0{library_versions()}\0".encode())
    return _files_hash(h, sorted(package.glob("*.py")) + sorted(package.glob("*.schema.yaml")))


# The workflow engine: it runs the jobs, whose results no version of it changes (no job
# imports it); an upgrade of it reruns nothing.
ENGINE = "snakemake"
DISTRIBUTION = "nndl3"


# A requirement as its metadata lists it: `name[extras] <version>; <marker>`
REQUIREMENT = re.compile(r"\s*([A-Za-z0-9_.-]+)\s*(?:\[([^\]]*)\])?[^;]*(?:;(.*))?",
                         re.S)
EXTRA_MARKER = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")


@functools.cache  # one lookup a process: Snakemake's start asks often
def library_versions() -> str:
    """`name==version` of every library the package's code runs, its requirements (but the
    ENGINE) followed through theirs, with the extras asked for (numba's compiler llvmlite,
    matplotlib's Pillow): an upgrade is code the jobs run too, so it changes every digest.
    The package's own requirements are its checkout's pyproject.toml's, else its installed
    metadata's. A marker other than an extra is not evaluated: a library it leaves
    out on this platform is not installed, and one it keeps only costs reruns."""
    import importlib.metadata as metadata

    def requirements(name: str, extras=frozenset()) -> list[tuple[str, frozenset]]:
        return listed(metadata.requires(name) or [], extras)

    try:  # a checkout's own file first: an editable install's metadata may be older
        todo = listed(checkout_requirements()) or requirements(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        todo = []
    todo = [(name, extras) for name, extras in todo if name.lower() != ENGINE]
    found, followed = {}, set()
    while todo:
        name, extras = todo.pop()
        key = normalized_name(name)
        if (key, extras) in followed:
            continue
        followed.add((key, extras))
        try:
            found[key] = metadata.version(name)
        except metadata.PackageNotFoundError:  # its marker excludes this platform
            continue
        todo += requirements(name, extras)
    return " ".join(f"{k}=={v}" for k, v in sorted(found.items()))


def listed(requirements: list[str], extras=frozenset()) -> list[tuple[str, frozenset]]:
    """(name, extras asked for) of each requirement that applies: one of extras only if one
    of them is among `extras` (names compared as PEP 685 normalizes them)."""
    found = []
    for line in requirements:
        match = REQUIREMENT.fullmatch(line)
        if match is None or not line.strip():
            continue  # no requirement (an empty line)
        name, asked, marker = match.groups()
        needs = {normalized_name(e) for e in EXTRA_MARKER.findall(marker or "")}
        if not needs or needs & {normalized_name(e) for e in extras}:
            found.append((name, frozenset(normalized_name(e) for e in (asked or "").split(",")
                                          if e.strip())))
    return found


def normalized_name(name: str) -> str:
    """A distribution's or an extra's name as PEP 503 and 685 compare them."""
    return re.sub(r"[-_.]+", "-", name.strip()).lower()


def checkout_requirements() -> list[str]:
    """The package's requirements from the pyproject.toml of the checkout it is run from
    (not installed); none where there is no such file."""
    import tomllib

    try:
        project = tomllib.loads((PACKAGE.parents[1] / "pyproject.toml").read_text())
    except (OSError, ValueError):
        return []
    return list(project.get("project", {}).get("dependencies", []))


def _files_hash(h, paths) -> str:
    """The hex digest of `h` updated with each file's name and bytes, in order."""
    for path in paths:
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def _kept(key: str) -> dict:
    """DIGESTS' digests if it was written for `key`, else none: a missing, unreadable or
    other sources' file is only a cache to rebuild."""
    try:
        kept = json.loads(DIGESTS.read_text())
    except (OSError, ValueError):
        return {}
    return dict(kept["digests"]) if isinstance(kept, dict) and kept.get("key") == key \
        and isinstance(kept.get("digests"), dict) else {}


def _keep(key: str, digests: dict) -> None:
    """DIGESTS replaced whole (atomically: a job reading it meanwhile sees the old file or
    the new); where it cannot be written (a read-only folder), digests are computed each
    time, as without it."""
    from .atomic import atomic_path

    try:
        with atomic_path(DIGESTS, suffix=".json") as tmp:
            tmp.write_text(json.dumps({"key": key, "digests": digests}, sort_keys=True))
    except OSError:
        pass


def computed_digest(command: str, package: Path = PACKAGE) -> str:
    """`digest`, computed from the sources."""
    h, named = hashlib.sha256(), set()
    functions = [normalized(ast.parse(ast.unparse(f))) for f in command_functions(command,
                                                                                  package)]
    for part in functions + command_line(command, package):
        h.update(part.encode())
        named |= schemas_named(part)
    return modules_digest(h, modules_of(command, package), package, named)


def script_digest(script: str | Path, package: Path = PACKAGE) -> str:
    """16 hex digits naming the code a script beside the package runs (a benchmark a rule
    calls): the script, the scripts of its folder it imports, and the package modules
    they import, followed. Kept in DIGESTS as `digest` is, for the package's sources and
    the bytes of every script of the script's folder as they are."""
    script = Path(script).resolve()
    folder = _files_hash(hashlib.sha256(), sorted(script.parent.glob("*.py")))
    return _kept_or_computed(f"{script} {folder}", package,
                             lambda: computed_script_digest(script, package))


def computed_script_digest(script: Path, package: Path = PACKAGE) -> str:
    """`script_digest`, computed from the sources."""
    h, scripts, todo, modules = hashlib.sha256(), {}, [Path(script)], set()
    while todo:
        path = todo.pop()
        if path in scripts:
            continue
        tree = ast.parse(path.read_text(), filename=path.name)
        scripts[path] = normalized(tree)
        modules |= package_imports(tree, "")
        local = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                 for alias in node.names} | {node.module for node in ast.walk(tree)
                                             if isinstance(node, ast.ImportFrom)
                                             and node.level == 0 and node.module}
        todo += [path.parent / f"{name}.py" for name in local
                 if (path.parent / f"{name}.py").is_file()]
    for path in sorted(scripts):
        h.update(path.name.encode() + b"\0" + scripts[path].encode())
    named = set().union(*map(schemas_named, scripts.values()))
    return modules_digest(h, closure(modules, package), package, named)


def modules_digest(h, modules: list[str], package: Path, named=()) -> str:
    """The 16 hex digits of `h` updated with the libraries' versions, the modules' code and
    the package's schemas that it, or the code `h` holds already (`named`: those that code
    names), names."""
    h.update(library_versions().encode() + b"\0")
    named = set(named)
    for module in modules:
        _, _, dump, schemas = _source(package, module)
        h.update(module.encode() + b"\0")
        h.update(dump.encode())
        named |= schemas
    for name, content in schema_contents(package, named):
        h.update(name.encode() + b"\0" + content.encode())
    return h.hexdigest()[:16]
