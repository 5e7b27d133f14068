"""The figures of several runs of one measured sequence: each run's own, then median, lowest, highest.

A run's ratios are taken against that run's own floor before anything is summarised, because the
machines drift between runs (issue 17): the median ratio is the median of the runs' ratios, never
a ratio of two medians that may come from different runs.
"""
import statistics
from dataclasses import dataclass
from typing import Any

Phase = dict[str, Any]
Result = dict[str, Any]
Rows = dict[str, dict[str, Any]]

# (figure, phase mode, field of load.py's result); ratios are named FIGURE + "_x".
FIGURES = (("rps", "throughput", "rps"), ("p50", "latency", "p50_ms"), ("p99", "latency", "p99_ms"))
FLOOR_KEYS = ("floor", "floor-end")


@dataclass(frozen=True)
class Spread:
    """The median of a figure over the runs, with its lowest and highest run beside it."""

    median: float | None
    low: float | None
    high: float | None
    runs: int

    @classmethod
    def of(cls, values: list[float | None]) -> "Spread":
        """Missing values (a phase with no answer) are left out rather than counted as zero."""
        present = [value for value in values if value is not None]
        if not present:
            return cls(None, None, None, 0)
        return cls(statistics.median(present), min(present), max(present), len(present))


def scenario_rows(phases: list[Phase], results: list[Result]) -> Rows:
    """{key: {"name", "throughput", "latency"}} of one run, in run order."""
    rows: Rows = {}
    for phase, result in zip(phases, results, strict=False):
        row = rows.setdefault(phase["key"], {"name": phase["scenario"]})
        row[phase["mode"]] = result
    return rows


def floor_of(rows: Rows) -> dict[str, float | None]:
    """One run's floor: the mean of its measurements at the start and at the end of that run."""
    measured = [rows[key] for key in FLOOR_KEYS if key in rows]

    def mean(mode: str, field: str) -> float | None:
        values = [run[mode][field] for run in measured if run.get(mode) and run[mode][field]]
        return sum(values) / len(values) if values else None

    return {figure: mean(mode, field) for figure, mode, field in FIGURES}


def ratio(value: float | None, floor: float | None) -> float | None:
    """`value` as a multiple of the floor; None when either is missing."""
    if value is None or not floor:
        return None
    return value / floor


def _figure(row: dict[str, Any], mode: str, field: str) -> float | None:
    return (row.get(mode) or {}).get(field)


def summarise(phases: list[Phase], runs: list[list[Result]]) -> dict[str, dict[str, Any]]:
    """Per scenario: its name, a Spread of each figure and of its ratio, and errors over all runs."""
    per_run = [scenario_rows(phases, results) for results in runs]
    floors = [floor_of(rows) for rows in per_run]
    summary: dict[str, dict[str, Any]] = {}
    for key, first in per_run[0].items():
        rows = [run[key] for run in per_run if key in run]
        entry: dict[str, Any] = {"name": first["name"]}
        for figure, mode, field in FIGURES:
            values = [_figure(row, mode, field) for row in rows]
            entry[figure] = Spread.of(values)
            entry[f"{figure}_x"] = Spread.of(
                [ratio(value, floor[figure]) for value, floor in zip(values, floors, strict=False)])
        entry["errors"] = sum((row.get(mode) or {}).get("errors", 0)
                              for row in rows for mode in ("throughput", "latency"))
        summary[key] = entry
    return summary


def floor_drift(phases: list[Phase], runs: list[list[Result]]) -> list[tuple[float, float]]:
    """Each run's floor requests/s at its start and at its end: how far the machine moved."""
    drift = []
    for results in runs:
        rows = scenario_rows(phases, results)
        first, last = (_figure(rows.get(key, {}), "throughput", "rps") for key in FLOOR_KEYS)
        if first is not None and last is not None:
            drift.append((first, last))
    return drift
