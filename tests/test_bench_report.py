"""The benchmark's report over repeated runs (bench/figures.py, bench/previous.py): no server, no load."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import figures  # noqa: E402
import previous  # noqa: E402

SINGLE_RUN_SECTION = """## SQLite

Run 2026-12-01 04:44 UTC at commit e1af875, SQLite 3.40.1, Python 3.11.7.

Data: `seed-demo --ideas 100000 --votes 1000000 --members 50000`, then the benchmark's rows.

| scenario | req/s @32 | × floor | p50 @2 (ms) | × floor | p99 @2 (ms) | × floor | errors |
|---|---:|---:|---:|---:|---:|---:|---:|
| floor (/_floor) | 668 | 1.07 | 2.7 | 0.94 | 5.8 | 0.99 | 0 |
| roadmap | 254 | 0.40 | 8.2 | 2.00 | 15.1 | 2.57 | 0 |
| floor again, at the end | 582 | 0.93 | 3.1 | 1.06 | 6.0 | 1.01 | 0 |
"""


def _phases(*scenarios: tuple[str, str]) -> list[dict]:
    return [dict(key=key, scenario=name, mode=mode, name=f"{key}@{mode}")
            for name, key in scenarios for mode in ("throughput", "latency")]


def _results(floor_rps: float, page_rps: float, page_p50: float = 8.0) -> list[dict]:
    """One run: the floor, the roadmap, the floor again (same figures first and last)."""
    def pair(rps: float, p50: float) -> list[dict]:
        return [dict(rps=rps, p50_ms=None, p99_ms=None, errors=0),
                dict(rps=None, p50_ms=p50, p99_ms=2 * p50, errors=0)]
    return pair(floor_rps, 4.0) + pair(page_rps, page_p50) + pair(floor_rps, 4.0)


SAME_DATA = "--ideas 100000 --votes 1000000 --members 50000"
PHASES = _phases(("floor (/_floor)", "floor"), ("roadmap", "roadmap"),
                 ("floor again, at the end", "floor-end"))


def test_each_runs_ratio_is_against_its_own_floor_and_the_median_is_of_those_ratios() -> None:
    summary = figures.summarise(PHASES, [_results(600, 300), _results(300, 240), _results(500, 200)])

    ratio = summary["roadmap"]["rps_x"]
    # The ratios 0.5, 0.8 and 0.4; the medians' ratio (240 / 500 = 0.48) would mix runs.
    assert (ratio.median, ratio.low, ratio.high, ratio.runs) == (0.5, 0.4, 0.8, 3)
    assert summary["roadmap"]["rps"].median == 240


def test_the_previous_ratios_are_read_from_a_single_run_and_from_a_repeated_section() -> None:
    repeated = SINGLE_RUN_SECTION.replace("| 254 | 0.40 |", "| 254 (240–260) | 0.40 (0.38–0.41) |")

    for section in (SINGLE_RUN_SECTION, repeated):
        assert previous.read_ratios(section)["roadmap"] == {"rps": 0.40, "p50": 2.00, "p99": 2.57}


def test_a_page_that_lost_more_than_15_percent_against_the_floor_is_flagged() -> None:
    slower = figures.summarise(PHASES, [_results(600, 180)])  # 0.40 → 0.30 of the floor: −25 %

    lines = previous.section_lines(SINGLE_RUN_SECTION, slower, SAME_DATA)

    assert "| roadmap | 0.40 → 0.30 (-25 %) |" in "\n".join(lines)
    assert "**1 of 1 pages lost more than 15 %** against the floor." in lines
    assert previous.lost_lines(SINGLE_RUN_SECTION, slower) == ["LOST roadmap: req/s × floor 0.40 → 0.30"]


def test_a_page_within_15_percent_of_its_previous_ratio_is_not_flagged() -> None:
    steady = figures.summarise(PHASES, [_results(600, 216)])  # 0.40 → 0.36: −10 %

    lines = previous.section_lines(SINGLE_RUN_SECTION, steady, SAME_DATA)

    assert "No page lost more than 15 % against the floor." in lines
    assert "another data set" not in "\n".join(lines)


def test_a_latency_ratio_that_grew_counts_as_a_loss_in_speed() -> None:
    # p50 ratio 2.00 → 2.50 (8 → 10 ms over a 4 ms floor): the page is 20 % slower against the floor.
    slower = figures.summarise(PHASES, [_results(600, 240, page_p50=10.0)])

    assert previous.lost_lines(SINGLE_RUN_SECTION, slower) == ["LOST roadmap: p50 × floor 2.00 → 2.50"]


def test_without_a_previous_section_there_is_nothing_to_compare() -> None:
    summary = figures.summarise(PHASES, [_results(600, 240)])

    assert "No earlier section for this database and size to compare with." in \
        previous.section_lines(None, summary, "")
    assert previous.lost_lines(None, summary) == []
