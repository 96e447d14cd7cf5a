"""Every run's validated spec, as the train rule passes it (JSON text), one run per line:
to show that a change of the config, the schema or runspec keeps every run the same.

    python tools/run_specs.py > after.txt
    git stash; python tools/run_specs.py > before.txt; git stash pop; diff before.txt after.txt

The package on the path validates (PYTHONPATH=<tree>/src, ROOT the tree's root as argument).
"""

from __future__ import annotations

import json
from pathlib import Path

from nndl3 import arguments, workflow_config
from nndl3.errors import exit_status

ROOT = Path(__file__).resolve().parents[1]


def main(root: Path = ROOT) -> int:
    config = workflow_config.load(root)
    for run in config["runs"]:
        spec = workflow_config.run_spec(config, run)
        print(f"{run} {json.dumps(spec, separators=(',', ':'))}")
    return 0


if __name__ == "__main__":
    parser = arguments.script_parser(__doc__)
    parser.add_argument("root", nargs="?", type=Path, default=ROOT,
                        help="the tree whose config/ is read (default: this checkout)")
    args = parser.parse_args()
    raise SystemExit(exit_status(lambda: main(args.root)))
