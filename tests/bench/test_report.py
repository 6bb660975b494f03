"""Target evaluation and the Markdown report, from made-up results (no run needed)."""

import json

import pytest

from bench import report, targets


def _fig(value):
    return {"median": value, "min": value, "max": value}


def _point(rps, p50=10.0, queries=(7, 7), app=5.0, db=1.0):
    summary = {
        "repeats": 3, "errors": 0, "rps": _fig(rps), "p50_ms": _fig(p50),
        "p99_ms": _fig(p50 * 3), "queries": _fig(queries[0]), "queries_min": queries[0],
        "queries_max": queries[1], "app_cpu_ms": _fig(app), "db_cpu_ms": _fig(db),
    }  # fmt: skip
    return {"runs": [], "summary": summary}


def _op(points, floor=None, trac=None, slowest_ms=0.5):
    return {
        "title": "An operation", "method": "GET", "path": "/somewhere/", "floor": floor,
        "trac": trac, "expect": 200, "drain": [],
        "points": {str(c): point for c, point in points.items()},
        "sql_floor": {
            "statements": 2, "explained": 2, "skipped": 0, "failed": [], "exec_ms": 0.8,
            "plan_ms": 0.2,
            "each": [{"exec_ms": 0.3, "plan_ms": 0.1, "sql": "SELECT … FROM django_session"},
                     {"exec_ms": slowest_ms, "plan_ms": 0.1, "sql": "SELECT … FROM issues_issue"}],
            "slowest": {"sql": "SELECT 1 FROM issues_issue", "exec_ms": slowest_ms,
                        "plan": "Seq Scan on issues_issue  (actual time=0.1..0.4)"},
        },
    }  # fmt: skip


def fake_result(issues=100_000, list_rps=(150.0, 150.0), list_queries=(7, 7), sweep_s=0.5):
    floors = {4: _point(1000.0, queries=(0, 0)), 16: _point(900.0, queries=(0, 0))}
    lists = {c: _point(rps, queries=list_queries) for c, rps in zip((4, 16), list_rps, strict=True)}
    ops = {
        "floor-json": _op(floors),
        "floor-template": _op(floors),
        "list-page": _op(lists, floor="floor-template", trac=28, slowest_ms=4.2),
        "search-api": _op({4: _point(80.0, p50=60.0), 16: _point(85.0, p50=150.0)},
                          floor="floor-json", trac=6),
    }  # fmt: skip
    sweep_summary = {
        "seconds": _fig(sweep_s), "queries": _fig(3), "detection_queries": _fig(2),
        "events": _fig(0), "app_cpu_ms": _fig(10), "db_cpu_ms": _fig(5),
    }  # fmt: skip
    return {
        "meta": {
            "stamp": "20260101-120000", "date": "2026-01-01 12:00 UTC", "issues": issues,
            "machine": {"cpu": "Test CPU", "cores": 2, "memory_bytes": 8 * 2**30},
            "postgres": "15.9", "python": "3.13.0", "django": "6.1.3", "commit": "abc1234",
            "dirty": False,
            "dataset": {"reused": False, "seed_seconds": 240.0, "vacuum_seconds": 12.0,
                        "database_bytes": 3 * 2**30},
            "config": {"duration": 10, "warmup": 2, "repeats": 3, "concurrency": [4, 16],
                       "workers": 2, "threads": 4, "worker_concurrency": 2},
        },
        "ops": ops,
        "stale_sweep": {"first": {"summary": sweep_summary}, "again": {"summary": sweep_summary},
                        "sql_floor": None},
        "report_queries": {"team": "ENG", "start": "2025-01-02", "end": "2026-01-01",
                           "reports": {"aging": {"ms": 120.0, "ms_range": [110.0, 130.0],
                                                 "queries": 4, "sql_floor": None}}},
    }  # fmt: skip


def verdicts(result, other=None):
    return {row["target"]: row for row in targets.evaluate(result, other)}


def _find(rows, start):
    [row] = [row for target, row in rows.items() if target.startswith(start)]
    return row


def test_a_query_count_over_its_budget_is_a_miss_by_the_difference():
    rows = verdicts(fake_result(list_queries=(7, 11)))
    row = _find(rows, "list-page: at most 8 SQL queries")
    assert row["verdict"] == "MISS"
    assert row["measured"] == "11 queries"
    assert "over by 3.0" in row["by"]
    assert _find(verdicts(fake_result()), "list-page: at most 8")["verdict"] == "PASS"


def test_throughput_must_reach_the_target_at_every_concurrency():
    rows = verdicts(fake_result(list_rps=(150.0, 112.0)))
    row = _find(rows, "list-page: at least 5x Trac")
    assert row["verdict"] == "MISS"
    assert "short by 28.0 req/s (20%)" in row["by"]
    assert "c=16" in row["by"]
    assert _find(verdicts(fake_result()), "list-page: at least 5x Trac")["verdict"] == "PASS"


def test_the_floor_share_compares_with_the_floor_at_the_same_concurrency():
    # 150 of 1000 at c=4 and 150 of 900 at c=16: both under half.
    row = _find(verdicts(fake_result()), "list-page: at least half of floor (b)")
    assert row["verdict"] == "MISS"
    assert "0.15 of floor-template at c=4" in row["measured"]


def _one_query_op(rps_at_4, rps_at_16):
    """A floor view of one query per request, measured at c=4 and c=16."""
    return _op({4: _point(rps_at_4, queries=(1, 1)), 16: _point(rps_at_16, queries=(1, 1))})


def test_floor_c_is_the_minimal_view_doing_the_lists_one_raw_query():
    result = fake_result()
    # 150 of 250 at c=4 (0.60), 150 of 280 at c=16 (0.54): the worse one counts.
    result["ops"]["floor-query"] = _one_query_op(250.0, 280.0)
    row = _find(verdicts(result), "list-page: at least half of floor (c)")
    assert row["verdict"] == "PASS"
    assert row["measured"] == "0.60 of floor-query at c=4, 0.54 of floor-query at c=16"
    assert "(at c=16)" in row["by"]
    result["ops"]["floor-query"]["points"]["16"] = _point(400.0)
    assert _find(verdicts(result), "list-page: at least half of floor (c)")["verdict"] == "MISS"
    # Not measured: not applicable, rather than judged on floor (b).
    assert (
        _find(verdicts(fake_result()), "list-page: at least half of floor (c)")["verdict"] == "n/a"
    )


def test_floor_d_is_shown_as_a_bound_on_floor_b_not_judged_as_a_target():
    result = fake_result()
    # The signed-in template at 400 of floor (b)'s 1000 (c=4) and 450 of 900 (c=16).
    result["ops"]["floor-signed-in"] = _one_query_op(400.0, 450.0)
    row = _find(verdicts(result), "floor-signed-in: the sign-in alone")
    assert row["verdict"] == "bound"
    assert row["measured"] == "0.40 of floor-template at c=4, 0.50 of floor-template at c=16"
    assert row["by"] == ""
    assert _find(verdicts(result), "floor-token: the sign-in alone")["verdict"] == "n/a"
    # A bound is not a miss: no plan of it under the missed targets.
    result["targets"] = targets.evaluate(result)
    assert "### floor-signed-in" not in report.render(result)


def test_latency_targets_are_judged_at_the_lowest_concurrency_and_say_the_size():
    row = _find(verdicts(fake_result()), "search-api: p50 under 50 ms")
    assert row["verdict"] == "MISS"
    assert row["measured"] == "p50 60.0 ms at c=4"
    assert "measured at 100,000" in row["target"]


def test_targets_without_measurements_are_not_applicable_rather_than_passed():
    rows = verdicts(fake_result())
    assert _find(rows, "issue-page: at least 3x")["verdict"] == "n/a"
    assert _find(rows, "seed_demo --issues 1000000")["verdict"] == "n/a"
    assert _find(rows, "list-page: cost at 1,000,000")["verdict"] == "n/a"


def test_growth_compares_cpu_per_request_with_the_run_at_the_other_size():
    small, large = fake_result(), fake_result(issues=1_000_000)
    large["ops"]["list-page"]["points"]["4"] = _point(150.0, app=8.0, db=2.0)  # 10 vs 6 ms
    row = _find(verdicts(large, small), "list-page: cost at 1,000,000")
    assert row["verdict"] == "MISS"
    assert "(1.67x)" in row["measured"]
    assert _find(verdicts(small, small), "list-page: cost")["verdict"] == "n/a"


def test_the_sweep_is_judged_on_time_and_detection_queries():
    rows = verdicts(fake_result(sweep_s=2.5))
    assert _find(rows, "stale sweep under 2 s at 1,000,000 issues, first")["verdict"] == "MISS"
    assert _find(rows, "stale sweep: one detection query")["verdict"] == "PASS"


def test_detection_is_judged_on_the_later_sweep_and_the_backlogs_batches_are_shown():
    result = fake_result()
    backlog = {**result["stale_sweep"]["first"]["summary"], "detection_queries": _fig(47)}
    result["stale_sweep"]["first"] = {"summary": backlog}
    row = _find(verdicts(result), "stale sweep: one detection query")
    assert row["verdict"] == "PASS"
    assert "the backlog sweep 47 (one per 2,000 issues)" in row["measured"]
    again = {**backlog, "detection_queries": _fig(3)}
    result["stale_sweep"]["again"] = {"summary": again}
    assert _find(verdicts(result), "stale sweep: one detection query")["verdict"] == "MISS"


def test_the_report_shows_figures_verdicts_and_the_plans_of_misses():
    result = fake_result(list_queries=(7, 11))
    result["targets"] = targets.evaluate(result)
    text = report.render(result)
    assert "# Benchmark, 2026-01-01 12:00 UTC" in text
    assert "Test CPU, 2 cores, 8.0 GiB RAM; PostgreSQL 15.9" in text
    assert "commit abc1234" in text and "--issues 100,000" in text
    assert "| list-page | 4 | 150.0 | 10.0 | 30.0 | 0 | 7-11 |" in text
    assert "0.15 of floor-template" in text and "5.36x" in text  # 150 / 28
    assert "**MISS**" in text and "**PASS**" in text
    # The slowest query's plan of a missed target, and the queries over the budget.
    assert "### list-page: 4.20 ms" in text
    assert "Seq Scan on issues_issue" in text
    assert "- 0.30 ms `SELECT … FROM django_session`" in text


def test_a_report_with_every_target_met_shows_no_plans():
    result = fake_result(list_rps=(600.0, 600.0))
    result["targets"] = [row for row in targets.evaluate(result) if row["verdict"] != "MISS"]
    assert "Plans of the missed targets" not in report.render(result)


def test_writing_keeps_the_timestamped_files_and_the_latest(tmp_path):
    result = fake_result()
    result["targets"] = targets.evaluate(result)
    md_path, json_path = report.write(result, tmp_path)
    assert md_path.name == "20260101-120000.md"
    assert json.loads(json_path.read_text())["meta"]["issues"] == 100_000
    assert (tmp_path / "latest.md").read_text() == md_path.read_text()
    assert (tmp_path / "latest-100000.json").exists()
    assert report.previous(tmp_path, 1_000_000)["meta"]["issues"] == 100_000
    assert report.previous(tmp_path, 100_000) is None


@pytest.mark.parametrize("value, expected", [(None, "-"), (1234.5, "1,234.5")])
def test_numbers_are_grouped_and_missing_ones_are_a_dash(value, expected):
    assert report._num(value) == expected


def _with_trac(result, rps):
    """`result` with Trac's list measured beside the app at each concurrency."""
    result["ops"]["list-page"]["trac_here"] = "trac-list"
    result["ops"]["trac-list"] = _op({c: _point(r) for c, r in zip((4, 16), rps, strict=True)})
    result["trac"] = {"tickets": 100_000, "ticket_changes": 850_000, "load_seconds": 26.0,
                      "reused": False}  # fmt: skip
    return result


def test_the_list_is_compared_with_trac_measured_beside_it_at_the_same_concurrency():
    # 150 req/s over Trac's 25 (6x) at c=4, over Trac's 40 (3.75x) at c=16.
    row = _find(
        verdicts(_with_trac(fake_result(), (25.0, 40.0))),
        "list-page: at least 5x Trac's list, measured",
    )
    assert row["verdict"] == "MISS"
    assert "6.00x trac-list (25.0 req/s) at c=4" in row["measured"]
    assert row["by"] == "short by 1.2 x (25%) (at c=16)"
    passed = _find(
        verdicts(_with_trac(fake_result(), (25.0, 30.0))),
        "list-page: at least 5x Trac's list, measured",
    )
    assert passed["verdict"] == "PASS"


def test_without_trac_measured_there_is_no_comparison_with_it_rather_than_a_pass():
    rows = verdicts(fake_result())
    assert not [target for target in rows if "measured beside it" in target]
    assert _find(rows, "list-page: at least 5x Trac's list (140")["verdict"] == "PASS"


def test_the_report_gives_the_ratio_to_trac_here_and_how_trac_was_loaded():
    result = _with_trac(fake_result(), (25.0, 40.0))
    result["targets"] = targets.evaluate(result)
    text = report.render(result)
    assert "| list-page | 4 | 150.0 |" in text and "| 5.36x | 6.00x |" in text
    assert "| 5.36x | 3.75x |" in text  # c=16
    assert "100,000 tickets, 850,000 changes; loaded in 26 s" in text
    result["trac"] = {"error": "cannot install Trac from PyPI:\nERROR: no network"}
    assert "**Trac 1.6**: not measured: cannot install Trac from PyPI:" in report.render(result)
