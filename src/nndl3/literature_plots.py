"""Figures of the literature runs, drawn from their records (nndl3.literature): test error
per epoch of Simard's three conditions with the paper's errors, and dropout against none.
A run's seeds are drawn as their mean and min-max band."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

# The papers' test errors (%), the numbers the chapter quotes: Simard et al. 2003, table 2;
# Hinton et al. 2012: 160, ~130 and ~110 errors of 10,000.
SIMARD = {"simard_plain": 1.6, "simard_affine": 1.1, "simard_elastic": 0.7}
HINTON = {"dropout_none": 1.6, "dropout_maxnorm": 1.3, "dropout_maxnorm_input": 1.1}


def error_band(ax, records: list[dict], label: str, paper: float, color):
    errors = [100 * (1 - np.array(r["test_accuracy"])) for r in records]
    length = min(map(len, errors))
    e = np.array([x[:length] for x in errors])
    epochs = np.arange(length)
    ax.plot(epochs, e.mean(axis=0), color=color, label=f"{label} ({len(e)} seeds)")
    ax.fill_between(epochs, e.min(axis=0), e.max(axis=0), color=color, alpha=0.2, lw=0)
    ax.axhline(paper, color=color, ls="--", lw=1, label=f"{label}: paper {paper} %")


def error_curves(records: list[dict], papers: dict, title: str) -> plt.Figure:
    """One band per run of `papers` that has records, with the paper's error; the error
    axis shows 0-4 % (the papers' range) unless a run ends above it (a miniature)."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    final = []
    for color, (run, paper) in zip(colors, papers.items(), strict=False):
        mine = [r for r in records if r["run"] == run]
        if mine:
            error_band(ax, mine, run, paper, color)
            final += [100 * (1 - r["test_accuracy"][-1]) for r in mine]
    ax.set_xlabel("epoch")
    ax.set_ylabel("test error (%)")
    if final and max(final) < 4:
        ax.set_ylim(0, 4)
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def simard_curves(records):
    return error_curves(records, SIMARD, "Simard 2003: [784, 800, 10], plain, affine, elastic")


def dropout_curves(records):
    return error_curves(records, HINTON, "Hinton 2012: dropout and max-norm against none")


FIGURES = {"simard_curves": simard_curves, "dropout_curves": dropout_curves}
