"""The benchmark's arithmetic: percentiles, median and range over repeats, one point's
figures from the load process's raw result."""

import pytest

from bench import stats


def test_the_median_interpolates_between_the_two_middle_values():
    assert stats.percentile([10, 1, 3, 2], 50) == 2.5


def test_p99_of_a_hundred_values_lies_just_below_the_largest():
    assert stats.percentile(range(1, 101), 99) == pytest.approx(99.01)


def test_extreme_percentiles_are_the_smallest_and_largest_values():
    values = [7, 3, 9]
    assert (stats.percentile(values, 0), stats.percentile(values, 100)) == (3, 9)


def test_no_values_have_no_percentile_and_a_bad_rank_is_refused():
    assert stats.percentile([], 50) is None
    with pytest.raises(ValueError):
        stats.percentile([1], 101)


def test_spread_gives_median_and_range_and_ignores_missing_repeats():
    assert stats.spread([30.0, None, 10.0, 20.0]) == {"median": 20.0, "min": 10.0, "max": 30.0}
    assert stats.spread([None, None]) is None


def test_a_point_reports_rate_latency_queries_and_cpu_per_request():
    raw = {
        "latencies": [0.010] * 50 + [0.030] * 49 + [0.500],
        "statuses": {"200": 99, "500": 1},
        "queries": {"7": 99, "9": 1},
        "errors": {"status 500": 1},
        "cpu_seconds": {"app": 0.5, "db": 0.25, "client": 0.1},
    }
    point = stats.summarize(raw, duration=10.0)
    assert point["requests"] == 100
    assert point["rps"] == 10.0
    assert point["p50_ms"] == pytest.approx(20.0)
    assert point["p99_ms"] > 30.0
    assert point["errors"] == 1
    assert (point["queries"], point["queries_min"], point["queries_max"]) == (7, 7, 9)
    assert point["app_cpu_ms"] == pytest.approx(5.0)
    assert point["db_cpu_ms"] == pytest.approx(2.5)
    assert point["client_cpu_ms"] == pytest.approx(1.0)


def test_a_point_without_responses_has_no_latency_or_cpu_per_request():
    raw = {"latencies": [], "errors": {"ConnectionRefusedError": 3}, "cpu_seconds": {"app": 1}}
    point = stats.summarize(raw, duration=5.0)
    assert (point["rps"], point["p50_ms"], point["app_cpu_ms"], point["errors"]) == (
        0.0, None, None, 3,
    )  # fmt: skip


def test_repeats_combine_into_medians_ranges_summed_errors_and_extreme_query_counts():
    runs = [
        {"rps": 100.0, "p50_ms": 5.0, "errors": 0, "queries_min": 7, "queries_max": 7},
        {"rps": 120.0, "p50_ms": 4.0, "errors": 2, "queries_min": 6, "queries_max": 8},
        {"rps": 90.0, "p50_ms": 6.0, "errors": 1, "queries_min": 7, "queries_max": 7},
    ]
    combined = stats.combine(runs)
    assert combined["rps"] == {"median": 100.0, "min": 90.0, "max": 120.0}
    assert combined["p50_ms"]["median"] == 5.0
    assert combined["errors"] == 3
    assert (combined["queries_min"], combined["queries_max"]) == (6, 8)
    assert "worker_cpu_ms" not in combined


def test_a_counter_over_a_point_is_shared_among_every_response_of_it():
    assert stats.per_request(40, {"completed": 10}) == 4.0
    assert stats.per_request(3, {"completed": 0}) is None
