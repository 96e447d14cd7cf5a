"""A literature run's state between epochs, so that a killed job resumes where it stopped
(a cluster's time limit, a laptop put to sleep, the end of a working session) and ends
with the record an unbroken run writes, bit for bit (tests/test_literature_checkpoint.py).

Written every `every` epochs, atomically, to paths.LITERATURE_CHECKPOINT (not an output
of the rule, so Snakemake leaves it when the job fails); read back only if it is of the
same run, seed, scale, spec, code and data (`key`), else the run starts afresh and its log says
why; removed once the record is written. The state: the next epoch, the network's
parameters and momentum, the generators the remaining epochs draw from (`shuffle`,
`dropout`, and `augment` as it stood before the next epoch's images were drawn), and the
curves and times so far.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import atomic
from .train import STREAMS as RUN_STREAMS

# what an epoch draws from: every stream of the run (train.streams) but the initial weights'
STREAMS = tuple(name for name in RUN_STREAMS if name != "init")


@dataclass
class Checkpoint:
    path: Path
    key: dict  # run, seed, scale, spec, code, data: what the state is of
    every: int  # epochs between saves (literature-train --checkpoint-every's default)

    def due(self, epoch: int, epochs: int) -> bool:
        """Whether to save after `epoch` (0-based): every `every` epochs, not after the last."""
        return (epoch + 1) % self.every == 0 and epoch + 1 < epochs

    def save(self, epoch: int, net, rng: dict, augment_state: dict, progress: dict,
             log) -> None:
        """The state after `epoch`: `rng` the run's streams, `augment_state` the augment
        stream's state before the next epoch's draw, `progress` the curves and times."""
        states = {name: rng[name].bit_generator.state for name in STREAMS}
        states["augment"] = augment_state
        meta = {"key": self.key, "epoch": epoch + 1, "rng": states, "progress": progress,
                "velocity": net.velocity is not None}
        arrays = {f"param_{i}": p for i, p in enumerate(net.params())}
        if net.velocity is not None:
            arrays |= {f"velocity_{i}": v for i, v in enumerate(net.velocity)}
        try:
            with atomic.atomic_path(self.path, suffix=".npz") as tmp:
                with open(tmp, "wb") as f:
                    np.savez(f, meta=np.array(json.dumps(meta)), **arrays)
        except OSError as e:  # a full disk costs the resume, not the run
            print(f"checkpoint {self.path}: not saved ({e}); training on", file=log)

    def load(self, log, shapes: list, epochs: int) -> dict | None:
        """The saved state if it is this run's and whole (`complete`: parameters of
        `shapes`, an epoch before the run's `epochs`), else None (and a line in the log
        why)."""
        if not self.path.exists():
            return None
        try:
            with np.load(self.path) as saved:
                meta = saved_meta(saved)
                arrays = {name: saved[name] for name in saved.files if name != "meta"}
        except READ_ERRORS as e:
            print(f"checkpoint {self.path}: unreadable ({e}); starting afresh", file=log)
            return None
        if not isinstance(meta, dict) or canonical(meta.get("key")) != canonical(self.key):
            print(f"checkpoint {self.path}: of other settings or code; starting afresh",
                  file=log)
            return None
        if not complete(meta, arrays, shapes, epochs):
            print(f"checkpoint {self.path}: incomplete; starting afresh", file=log)
            return None
        print(f"checkpoint {self.path}: resuming at epoch {meta['epoch']}", file=log)
        return {**meta, "arrays": arrays}

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


# what reading a file that is no checkpoint can raise (TypeError, AttributeError: a .npy
# file, which np.load gives as an array, not an archive)
READ_ERRORS = (OSError, ValueError, KeyError, TypeError, AttributeError, EOFError,
               zipfile.BadZipFile)


def saved_meta(saved):
    """The `meta` entry of an opened checkpoint archive."""
    return json.loads(str(saved["meta"]))


def is_checkpoint(path: Path) -> bool:
    """Whether the file at `path` is a checkpoint (of any run): an .npz whose `meta` is a
    mapping with a `key`. Any other file there is not ours to replace."""
    try:
        with np.load(path) as saved:
            meta = saved_meta(saved)
    except READ_ERRORS:
        return False
    return isinstance(meta, dict) and "key" in meta


def complete(meta: dict, arrays: dict, shapes: list, epochs: int) -> bool:
    """Whether a state of the right key has every part `restore` and the loop read: an
    epoch before the run's last, that many numbers a curve, a number of seconds a
    distortion drawn, the epochs resumed at before it, and parameters (and momentum) of
    the network's `shapes`."""
    progress = meta.get("progress")
    epoch = meta.get("epoch")
    if not (isinstance(epoch, int) and 0 < epoch < epochs and isinstance(progress, dict)):
        return False
    curves = [progress.get(k) for k in ("validation_accuracy", "test_accuracy", "seconds")]
    distortion, resumed = progress.get("distortion"), progress.get("resumed_at")
    expected = {f"param_{i}": shape for i, shape in enumerate(shapes)}
    if meta.get("velocity"):
        expected |= {f"velocity_{i}": shape for i, shape in enumerate(shapes)}
    return (all(numbers(c) and len(c) == epoch for c in curves)
            and numbers(distortion) and len(distortion) <= epoch
            and numbers(resumed) and all(isinstance(e, int) and 0 < e < epoch for e in resumed)
            and set(STREAMS) <= set(meta.get("rng") or ())
            and all(name in arrays and arrays[name].shape == shape
                    for name, shape in expected.items()))


def numbers(values) -> bool:
    """A list of finite numbers (not booleans)."""
    return isinstance(values, list) and all(
        isinstance(v, int | float) and not isinstance(v, bool) and np.isfinite(v)
        for v in values)


def data_digest(data: dict) -> str:
    """16 hex digits of the data a run trains and measures on (a checkpoint resumes only
    on the data it was made on)."""
    h = hashlib.sha256()
    for name in sorted(data):
        for array in data[name]:
            h.update(np.ascontiguousarray(array).tobytes())
    return h.hexdigest()[:16]


def canonical(key: dict) -> str:
    return json.dumps(key, sort_keys=True, default=str)


def restore(state: dict, net, rng: dict) -> None:
    """Put the saved parameters, momentum and generators back into `net` and `rng`."""
    from .wide import aligned

    arrays = state["arrays"]
    for i, p in enumerate(net.params()):
        p[...] = arrays[f"param_{i}"]
    if state["velocity"]:
        net.velocity = [aligned(arrays[f"velocity_{i}"]) for i in range(len(net.params()))]
    for name in STREAMS:
        rng[name].bit_generator.state = state["rng"][name]
