"""The scripts of benchmarks/ and tools/ call the package as it is now.

Most of them time things, so no test runs them whole; a call into nndl3 that a change of
signature broke (curve_simulation.py's `curves.simulated_fractions(rows, draws)` after `n`
became required) would only show when someone typed the documented command. Each call of
a package module's attribute (`from nndl3 import module`, then `module.f(...)`), and of a
name imported from one (`from nndl3.module import f`), is bound here to the callee's
signature (a Numba function's Python one); calls that spread `*args` or `**kwargs` are
skipped, and so is a name in a function that binds it to something else."""

import ast
import importlib
import inspect
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted([*(ROOT / "benchmarks").glob("*.py"), *(ROOT / "tools").glob("*.py")])


def imported(tree: ast.Module) -> tuple[dict, dict]:
    """Local name -> nndl3 module (`from nndl3 import m`), and local name -> (module,
    attribute) (`from nndl3.m import f`)."""
    modules, names = {}, {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("nndl3"):
            for alias in node.names:
                local = alias.asname or alias.name
                if node.module == "nndl3":
                    modules[local] = f"nndl3.{alias.name}"
                else:
                    names[local] = (node.module, alias.name)
    return modules, names


def bound_in(scope: ast.AST) -> set[str]:
    """The names a function binds itself (assignments, loop targets, arguments), which
    there hide a module-level import of the same name."""
    return ({n.id for n in ast.walk(scope) if isinstance(n, ast.Name)
             and isinstance(n.ctx, ast.Store)}
            | {a.arg for a in ast.walk(scope) if isinstance(a, ast.arg)})


def calls_in_scopes(tree: ast.Module):
    """(call, names hidden where it is) for every call, its innermost function's bindings
    hiding the module's names (a module-level rebinding hides them everywhere)."""
    top = {n.id for stmt in tree.body if not isinstance(stmt, (ast.FunctionDef, ast.ClassDef))
           for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}

    def visit(node, hidden):
        for child in ast.iter_child_nodes(node):
            inner = (hidden | bound_in(child)
                     if isinstance(child, (ast.FunctionDef, ast.Lambda)) else hidden)
            if isinstance(child, ast.Call):
                yield child, inner
            yield from visit(child, inner)

    yield from visit(tree, top)


def package_calls(path: Path):
    """(call, what, callee) for every call into the package that this test can resolve."""
    tree = ast.parse(path.read_text())
    modules, names = imported(tree)
    for call, hidden in calls_in_scopes(tree):
        f = call.func
        if (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name)
                and f.value.id in modules and f.value.id not in hidden):
            module = importlib.import_module(modules[f.value.id])
            yield call, f"{modules[f.value.id]}.{f.attr}", getattr(module, f.attr, None)
        elif isinstance(f, ast.Name) and f.id in names and f.id not in hidden:
            module, attr = names[f.id]
            yield call, f"{module}.{attr}", getattr(importlib.import_module(module), attr, None)


def unbound(call: ast.Call, callee) -> str | None:
    """Why the call cannot bind to the callee's signature, or None if it can (or if the
    call spreads arguments, which only running it can tell)."""
    if any(isinstance(a, ast.Starred) for a in call.args) or any(
            k.arg is None for k in call.keywords):
        return None
    if isinstance(callee, type) and issubclass(callee, BaseException):
        return None  # an exception takes any arguments (BaseException's, no signature)
    signature = inspect.signature(getattr(callee, "py_func", callee))
    try:
        signature.bind(*call.args, **{k.arg: k.value for k in call.keywords})
    except TypeError as exc:
        return str(exc)
    return None


def intrinsic(callee) -> bool:
    """A Numba @intrinsic: called without the typing context its Python signature names."""
    return type(callee).__name__ == "_Intrinsic"


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_call_into_the_package_binds_to_its_signature(path):
    problems = []
    for call, name, callee in package_calls(path):
        if callee is None:
            problems.append(f"{path.name}:{call.lineno}: {name} does not exist")
        elif not intrinsic(callee) and (why := unbound(call, callee)):
            problems.append(f"{path.name}:{call.lineno}: {name}: {why}")
    assert not problems, "\n".join(problems)


def test_the_calls_are_found_at_all():
    """The test above checks what package_calls resolves: here, that it resolves a known
    call of each import form, or it could pass having checked none."""
    found = {name for path in SCRIPTS for _, name, callee in package_calls(path)
             if callee is not None}
    assert {"nndl3.curves.simulated_fractions", "nndl3.atomic.write_json"} <= found, \
        sorted(found)[:20]
    assert len(found) >= 50, len(found)


def test_the_binding_catches_a_missing_argument():
    """The break that made this test: a required argument the call does not pass."""
    call = ast.parse("curves.simulated_fractions(rows, draws)").body[0].value
    from nndl3 import curves
    assert "missing a required argument: 'n'" in unbound(call, curves.simulated_fractions)


def test_a_name_a_function_rebinds_is_hidden_there_only():
    """breakdown.py names a local `timing` in one function and calls `timing.logged` in
    another: the call is still checked."""
    tree = ast.parse("from nndl3 import timing\n"
                     "def a():\n    timing = {}\n    timing.get('x')\n"
                     "def b():\n    timing.logged(1)\n")
    checked = [(c.lineno, "timing" in hidden) for c, hidden in calls_in_scopes(tree)]
    assert checked == [(4, True), (6, False)]
