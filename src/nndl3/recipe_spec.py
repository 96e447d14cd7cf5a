"""Which of our runs the author's programs could have trained, and the recipe of one (its
program, its initial draws and its training, from the run's spec): spec logic alone, apart
from the sampler (nndl3.recipe) and its engines, so that the workflow plans the recipe runs
(nndl3.recipe_plan) without loading Numba."""

from __future__ import annotations

from .errors import UserError
from .mnist import BOOK_PIXEL_DIVISOR

NETWORK, NETWORK2 = "network.py", "network2.py"
# The options of ours the author's programs do not have, at the value that switches them off.
ABSENT = {"momentum": 0.0, "schedule": 0, "early_stopping": 0, "output": "sigmoid",
          "hidden": "sigmoid", "dropout": 0.0}


def program(spec: dict) -> str:
    """The author's program a run goes through: chapter 1's quadratic-cost runs network.py,
    the rest network2.py."""
    return NETWORK if spec["cost"] == "quadratic" else NETWORK2


def missing(spec: dict) -> str | None:
    """Why the author's recipe cannot train this run, or None if it can."""
    lacks = [f"{key} {spec[key]}: not in the author's code" for key, off in ABSENT.items()
             if spec.get(key, off) != off]
    if (spec.get("rotation") or {}).get("copies"):
        lacks.append("rotated copies: not in the author's code")
    if spec["cost"] not in ("quadratic", "cross-entropy"):
        lacks.append(f"cost {spec['cost']}: not in the author's code")
    if spec["lmbda"] and spec["regularization"] != "l2":
        lacks.append(f"regularization {spec['regularization']}: not in the author's code")
    if len(spec["sizes"]) != 3:
        lacks.append(f"sizes {spec['sizes']}: the compiled engine trains one hidden layer")
    if program(spec) == NETWORK:
        if spec["lmbda"]:
            lacks.append(f"lambda {spec['lmbda']}: network.py has no regularization")
        if spec["init"] != "large":
            lacks.append(f"init {spec['init']}: network.py draws N(0, 1) only")
        if spec["evaluation"] != "test" or set(spec["monitor"]) - {"evaluation_accuracy"}:
            lacks.append("monitors: network.py evaluates the test accuracy only")
    return "; ".join(lacks) or None


def of(spec: dict, where: str = "run") -> dict:
    """The recipe of our run `spec` (validated, complete): the program, its draws and its
    training, every hyperparameter the spec's own. A UserError if it has none."""
    lacks = missing(spec)
    if lacks:
        raise UserError(f"{where}: no recipe ({lacks})")
    prog = program(spec)
    draws = ["large"] if prog == NETWORK else ["default"] + (["large"] if spec["init"] ==
                                                            "large" else [])
    return {"program": prog, "draws": draws, "sizes": list(spec["sizes"]),
            "cost": spec["cost"], "eta": spec["eta"], "lmbda": spec["lmbda"],
            "epochs": spec["epochs"], "mini_batch": spec["mini_batch"],
            "train_size": spec["train_size"], "evaluation": spec["evaluation"],
            "monitor": list(spec["monitor"]), "monitor_every": spec.get("monitor_every", 1),
            "dtype": "float64", "pixels": f"byte / {BOOK_PIXEL_DIVISOR}"}
