"""Check that Snakemake's HTML report holds every figure of a target, as a whole PNG, and
the reproduction tables.

Snakemake 9's report is one HTML file; its script defines `var results = {...}`, a JSON
object keyed by output path, where each figure carries its caption and a base64
`data_uri`, and `var categories = {...}`, the report's sections and their files. This
reads both and checks, for every figure of `all` (or of one experiment with --target),
that it is there, is a PNG and, if figures/ holds the file, that it is byte for byte the
one on disk, filed under its section of the chapter (nndl3.figures.section_of); and, for
`all`, that results/reproduction.html is there and shows every point row and every
published curve of results/reproduction.json.

    snakemake --report report.html && python tools/check_report.py report.html
"""

from __future__ import annotations

import base64
import html
import json
import sys
from pathlib import Path

from nndl3 import arguments, figures, paths, readers, workflow_config
from nndl3.errors import UserError, exit_status

PNG = b"\x89PNG\r\n\x1a\n"
MARKER = "var results = {"  # a bundled library has its own `var results = new Array`
CATEGORIES = "var categories = {"


def embedded(html: str, marker: str = MARKER) -> dict:
    """The report's results object: {path: {"data_uri": ..., "caption": ..., ...}}; with
    marker CATEGORIES its categories: {category: {subcategory: [path, ...]}}."""
    start = html.find(marker)
    if start < 0:
        raise ValueError(f"no {marker.strip()!r} object: not a Snakemake 9 report")
    found, _ = json.JSONDecoder().raw_decode(html, start + len(marker) - 1)
    bad = shape_problem(found, marker)
    if bad:
        raise ValueError(f"its {marker.strip()!r} object {bad}: not a Snakemake 9 report")
    return found


def shape_problem(found: dict, marker: str) -> str | None:
    """What in `found` is not of the shape `embedded` promises, or None."""
    if marker != CATEGORIES:
        for path, entry in found.items():
            if not isinstance(entry, dict) or not isinstance(entry.get("data_uri", ""), str):
                return f"holds {path!r} as {json.dumps(entry)[:40]}, not an entry with a data_uri"
        return None
    for category, sub in found.items():
        if not isinstance(sub, dict) or not all(
                isinstance(listed, list) and all(isinstance(p, str) for p in listed)
                for listed in sub.values()):
            return f"holds {category!r} as {json.dumps(sub)[:40]}, not lists of paths"
    return None


def filed(categories: dict) -> dict[str, str]:
    """{path: its category} of the report's categories object."""
    return {path: category for category, sub in categories.items()
            for listed in sub.values() for path in listed}


def category_problems(where: dict[str, str], names: list[str],
                      figures_yaml: str = paths.FIGURES_CONFIG) -> list[str]:
    """Each figure `names` not filed under its section of the chapter (`where`: `filed`)."""
    config = workflow_config.read_figures(figures_yaml)
    found = []
    for name in names:
        path, section = paths.FIGURE.format(figure=name), figures.section_of(
            config, config["figures"][name], report=True)
        if where.get(path, section) != section:
            found.append(f"{path}: filed under {where[path]!r}, not its section {section!r}")
    return found


def figures_of(target: str, figures_yaml: str = paths.FIGURES_CONFIG) -> list[str]:
    config = workflow_config.read_figures(figures_yaml)
    if target != "all" and target not in config["experiments"]:
        raise UserError(f"--target: {target!r} is not `all` nor an experiment of "
                        f"{figures_yaml} ({', '.join(config['experiments'])})")
    names = list(config["figures"] if target == "all" else config["experiments"][target])
    if unknown := [name for name in names if name not in config["figures"]]:
        raise UserError(f"{figures_yaml}: experiments.{target}: {unknown[0]!r} is not a figure "
                        "of its figures:")
    return names


def problems(results: dict, wanted: list[str], root: Path = Path(".")) -> list[str]:
    found = []
    for path in wanted:
        entry = results.get(path)
        if entry is None:
            found.append(f"{path}: not in the report")
            continue
        head, _, data = entry.get("data_uri", "").partition(";base64,")
        png = base64.b64decode(data) if data else b""
        if not head.startswith("data:image/png") or not png.startswith(PNG):
            found.append(f"{path}: in the report, but not as a PNG")
        elif (root / path).is_file() and (root / path).read_bytes() != png:
            found.append(f"{path}: the report's copy differs from the file")
    return found


def reproduction_problems(results: dict, document: dict,
                          path: str = paths.REPRODUCTION_HTML) -> list[str]:
    """What the report's reproduction page lacks of the rows and curves of `document`."""
    entry = results.get(path)
    if entry is None:
        return [f"{path}: not in the report"]
    head, _, data = entry.get("data_uri", "").partition(";base64,")
    page = base64.b64decode(data).decode("utf-8", "replace") if data else ""
    if not head.startswith("data:text/html") or "<table>" not in page:
        return [f"{path}: in the report, but not as an HTML table"]
    # the tables name each row and curve by its id (check.table, curves.table)
    wanted = [f"<td><code>{html.escape(r['id'], quote=False)}</code></td>"
              for r in (*document["rows"], *document.get("curves", []))]
    missing = [w for w in wanted if w not in page]
    return [f"{path}: lacks {len(missing)} of {len(wanted)} rows and curves, first "
            f"{missing[0]}"] if missing else []


def main(argv=None) -> int:
    p = arguments.script_parser(__doc__)
    p.add_argument("report", help="the HTML report (snakemake --report report.html)")
    p.add_argument("--target", default="all", help="`all` or an experiment of figures.yaml")
    p.add_argument("--reproduction", default=paths.REPRODUCTION_JSON,
                   help="the rows the report's table must show (target `all` only)")
    args = p.parse_args(argv)
    names = figures_of(args.target)
    wanted = [paths.FIGURE.format(figure=name) for name in names]
    # read first, and by the project's reader: its problems are that file's, not the report's
    document = readers.reproduction(args.reproduction) if args.target == "all" else None
    try:
        text = Path(args.report).read_text()
        results = embedded(text)
        found = problems(results, wanted)
        found += category_problems(filed(embedded(text, CATEGORIES)), names)
        if document is not None:
            found += reproduction_problems(results, document)
    except (OSError, ValueError) as exc:
        print(f"error: {args.report}: {exc}", file=sys.stderr)
        return 1
    for line in found:
        print(f"error: {args.report}: {line}", file=sys.stderr)
    if not found:
        print(f"{args.report}: all {len(wanted)} figures of {args.target!r} are in it"
              + (", and the reproduction tables" if args.target == "all" else ""))
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(exit_status(main))
