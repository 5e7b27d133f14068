"""Against the previous run: the ratio columns of the section a run replaces, beside the new medians.

Issue 17 keeps the benchmark's ratios: no page may lose more than 15 % against the floor. The
section being replaced is the only record of the last run, so it is read before it is rewritten.
It may come from a single-run version of the benchmark (plain ratios such as `0.45`) or from a
repeated one (`0.45 (0.42–0.47)`): the first number of a cell is its ratio either way.
"""
import re
from typing import Any

from figures import FLOOR_KEYS

LOSS_LIMIT = 15.0  # per cent, issue 17
COLUMNS = (("rps", "req/s"), ("p50", "p50"), ("p99", "p99"))
NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
TABLE_HEADER = re.compile(r"^\| scenario \| req/s @\d+")
RUN_LINE = re.compile(r"^Run (.+?) at commit (\S+)", re.M)
DATA_LINE = re.compile(r"`seed-demo ([^`]+)`")


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _number(cell: str) -> float | None:
    match = NUMBER.search(cell)
    return float(match.group(0).replace(",", "")) if match else None


def read_ratios(section: str) -> dict[str, dict[str, float | None]]:
    """{scenario name: {"rps", "p50", "p99": its ratio to the floor}} from the scenario table."""
    lines = section.splitlines()
    start = next((i for i, line in enumerate(lines) if TABLE_HEADER.match(line)), None)
    if start is None:
        return {}
    header = _cells(lines[start])
    # A ratio column is headed "× floor" and follows the column of the figure it divides.
    positions = {figure: index for index, cell in enumerate(header) if cell.startswith("× floor")
                 for figure, label in COLUMNS if header[index - 1].startswith(label)}
    ratios = {}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = _cells(line)
        ratios[cells[0]] = {figure: _number(cells[index]) if index < len(cells) else None
                            for figure, index in positions.items()}
    return ratios


def change(figure: str, before: float | None, now: float | None) -> float | None:
    """Change in speed against the floor, in %: negative is slower, for throughput and latency alike.

    A latency ratio says how many times slower than the floor a page is, so its speed is the
    inverse: a p50 ratio going from 2.0 to 2.5 is a loss of 20 %."""
    if not before or not now:
        return None
    return (now / before - 1) * 100 if figure == "rps" else (before / now - 1) * 100


def compare(section: str, summary: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Per page in the new summary: before, now and change of each ratio, and what it lost."""
    before = read_ratios(section)
    rows = []
    for key, entry in summary.items():
        if key in FLOOR_KEYS:
            continue
        old = before.get(entry["name"], {})
        figures = {}
        lost = []
        for figure, label in COLUMNS:
            now = entry[f"{figure}_x"].median
            moved = change(figure, old.get(figure), now)
            figures[figure] = (old.get(figure), now, moved)
            if moved is not None and moved < -LOSS_LIMIT:
                lost.append(label)
        rows.append(dict(name=entry["name"], known=bool(old), figures=figures, lost=lost))
    return rows


def _cell(before: float | None, now: float | None, moved: float | None) -> str:
    if now is None:
        return "–"
    if before is None:
        return f"new: {now:.2f}"
    return f"{before:.2f} → {now:.2f} ({moved:+.0f} %)" if moved is not None else f"{before:.2f} → {now:.2f}"


def section_lines(section: str | None, summary: dict[str, dict[str, Any]], seed_args: str) -> list[str]:
    """The "Against the previous run" part of a section, as Markdown lines."""
    lines = ["### Against the previous run", ""]
    if not section or not read_ratios(section):
        return lines + ["No earlier section for this database and size to compare with.", ""]
    run = RUN_LINE.search(section)
    data = DATA_LINE.search(section)
    source = f"the run of {run.group(1)} at commit {run.group(2)}" if run else "the section replaced"
    lines.append(
        f"Ratios to the floor of {source} → this run's medians, and the change in speed against "
        f"the floor (for latency, the inverse of the ratio's change): a page that lost more than "
        f"{LOSS_LIMIT:.0f} % is flagged (issue 17)."
        + (f" **The previous run had another data set** (`seed-demo {data.group(1)}`)."
           if data and data.group(1) != seed_args else ""))
    lines += ["", "| scenario | req/s × floor | p50 × floor | p99 × floor | lost > 15 % |",
              "|---|---:|---:|---:|---|"]
    rows = compare(section, summary)
    for row in rows:
        cells = [_cell(*row["figures"][figure]) for figure, _ in COLUMNS]
        lines.append(f"| {row['name']} | " + " | ".join(cells) + f" | {_flag(row)} |")
    lost = [row["name"] for row in rows if row["lost"]]
    limit = f"{LOSS_LIMIT:.0f} %"
    lines += ["", f"**{len(lost)} of {len(rows)} pages lost more than {limit}** against the floor."
              if lost else f"No page lost more than {limit} against the floor.", ""]
    return lines


def _flag(row: dict[str, Any]) -> str:
    if row["lost"]:
        return "**" + ", ".join(row["lost"]) + "**"
    return "" if row["known"] else "not in the previous run"


def lost_lines(section: str | None, summary: dict[str, dict[str, Any]]) -> list[str]:
    """One terminal line per page that lost more than the limit."""
    if not section:
        return []
    return [f"LOST {row['name']}: " + ", ".join(
                f"{label} × floor {row['figures'][figure][0]:.2f} → {row['figures'][figure][1]:.2f}"
                for figure, label in COLUMNS if label in row["lost"])
            for row in compare(section, summary) if row["lost"]]
