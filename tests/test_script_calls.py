"""The scripts of benchmarks/ and tools/ call the package as it is now.

Most of them time things, so no test runs them whole; a call into nndl3 that a change of
signature broke (curve_simulation.py's `curves.simulated_fractions(rows, draws)` after `n`
became required) would only show when someone typed the documented command. Each call
`module.function(...)` on a module imported `from nndl3 import module` is bound here
against the function's signature; calls with `*args` or `**kwargs` are skipped."""

import ast
import importlib
import inspect
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted([*(ROOT / "benchmarks").glob("*.py"), *(ROOT / "tools").glob("*.py")])


def package_modules(tree: ast.Module) -> dict[str, str]:
    """Local name -> nndl3 module, for every `from nndl3 import m [as n]` in the script
    whose name the script does not also bind to something else (a variable, an argument)."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "nndl3":
            for alias in node.names:
                names[alias.asname or alias.name] = f"nndl3.{alias.name}"
    rebound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
               and isinstance(n.ctx, ast.Store)} | {a.arg for a in ast.walk(tree)
                                                    if isinstance(a, ast.arg)}
    return {k: v for k, v in names.items() if k not in rebound}


def package_calls(path: Path):
    """(line, module, function, call) for every call of a package module's attribute."""
    tree = ast.parse(path.read_text())
    modules = package_modules(tree)
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id in modules):
            yield node.lineno, modules[node.func.value.id], node.func.attr, node


def unbound(call: ast.Call, function) -> str | None:
    """Why the call cannot bind to the function's signature, or None if it can (or if the
    call spreads arguments, which only running it can tell)."""
    if any(isinstance(a, ast.Starred) for a in call.args) or any(
            k.arg is None for k in call.keywords):
        return None
    try:
        inspect.signature(function).bind(*call.args, **{k.arg: k.value for k in call.keywords})
    except TypeError as exc:
        return str(exc)
    return None


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_call_into_the_package_binds_to_its_signature(path):
    problems = []
    for line, module, name, call in package_calls(path):
        target = getattr(importlib.import_module(module), name, None)
        if target is None:
            problems.append(f"{path.name}:{line}: {module}.{name} does not exist")
        elif inspect.isfunction(target) and (why := unbound(call, target)):
            problems.append(f"{path.name}:{line}: {module}.{name}: {why}")
    assert not problems, "\n".join(problems)


def test_the_binding_catches_a_missing_argument():
    """The break that made this test: a required argument the call does not pass."""
    call = ast.parse("curves.simulated_fractions(rows, draws)").body[0].value
    from nndl3 import curves
    assert "missing a required argument: 'n'" in unbound(call, curves.simulated_fractions)
