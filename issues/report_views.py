"""The team reports page (/teams/<KEY>/reports/): every report as a chart with its
table beside it, the same tables as CSV (?format=csv&report=<name>). Viewers and up;
outsiders get 404 from get_team_for_user."""

from __future__ import annotations

import csv

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render

from . import charts, reports, selectors
from .forms import ReportFilterForm
from .models import Issue, Status
from .templatetags.issue_tags import duration

CATEGORY_NAMES = dict(Status.Category.choices)
PRIORITY_NAMES = dict(Issue.Priority.choices)

SECTIONS = [
    ("time-in-status", "Time in status"),
    ("created-vs-resolved", "Created vs resolved per week"),
    ("backlog", "Open backlog by category (cumulative flow)"),
    ("cycle-time", "Cycle time by priority"),
    ("resolution-time", "Resolution time by priority"),
    ("aging", "Aging of open issues"),
    ("workload", "Workload"),
]


def _h(seconds) -> float:
    return 0 if seconds is None else seconds / 3600


def _num(seconds):
    return "" if seconds is None else round(seconds)


def table(name: str, data) -> tuple[list[str], list[list]]:
    """The report as a table: (headers, rows) of plain values, for the page and CSV.
    Durations are whole seconds here; the page shows them readable."""
    if name == "time-in-status":
        return ["Status", "Issues", "Periods", "Median (s)", "P90 (s)"], [
            [r["status"], r["issues"], r["periods"], _num(r["median_seconds"]),
             _num(r["p90_seconds"])] for r in data
        ]  # fmt: skip
    if name == "created-vs-resolved":
        return ["Week of", "Created", "Resolved"], [
            [r["week"].isoformat(), r["created"], r["resolved"]] for r in data
        ]
    if name == "backlog":
        cats = reports.OPEN_CATEGORIES
        return ["Week of", *(CATEGORY_NAMES[c] for c in cats)], [
            [r["week"].isoformat(), *(r[str(c)] for c in cats)] for r in data
        ]
    if name in {"cycle-time", "resolution-time"}:
        buckets = [label for label, _ in reports.DURATION_BUCKETS]
        return ["Priority", "Issues", "Median (s)", "P90 (s)", *buckets], [
            [r["priority_name"], r["count"], _num(r["median_seconds"]), _num(r["p90_seconds"]),
             *(b["count"] for b in r["buckets"])] for r in data
        ]  # fmt: skip
    if name == "aging":
        return ["Status", *data["buckets"], "Total"], [
            [r["status"], *r["buckets"], r["total"]] for r in data["rows"]
        ]
    if name == "workload":
        priorities = data["priorities"]
        rows = [
            [r["name"], *(r["by_priority"][p["value"]] for p in priorities), r["total"]]
            for r in data["rows"]
        ]
        unassigned = data["unassigned"]
        rows.append(
            ["Unassigned", *(unassigned["by_priority"][p["value"]] for p in priorities),
             unassigned["total"]]
        )  # fmt: skip
        return ["Assignee", *(p["name"] for p in priorities), "Total"], rows
    raise KeyError(name)


def chart(name: str, data) -> charts.Chart:
    S = charts.Series
    if name == "time-in-status":
        cats = [r["status"] for r in data]
        # One unit for the axis: days once the longest bar passes two days.
        days = max((_h(r["p90_seconds"]) for r in data), default=0) > 48
        scale, unit = (24, charts.in_days) if days else (1, charts.in_hours)
        return charts.columns(
            f"Median and 90th percentile time per status, in {'days' if days else 'hours'}",
            cats,
            [S("Median", "c-in_progress", [_h(r["median_seconds"]) / scale for r in data], unit),
             S("90th percentile", "c-waiting", [_h(r["p90_seconds"]) / scale for r in data],
               unit)],
            stacked=False, tick_fmt=unit,
        )  # fmt: skip
    if name == "created-vs-resolved":
        weeks = [r["week"].strftime("%d %b") for r in data]
        return charts.columns(
            "Issues created and resolved per week",
            weeks,
            [S("Created", "c-created", [r["created"] for r in data], charts.count),
             S("Resolved", "c-resolved", [r["resolved"] for r in data], charts.count)],
            stacked=False, tick_fmt=charts.count,
        )  # fmt: skip
    if name == "backlog":
        weeks = [r["week"].strftime("%d %b") for r in data]
        return charts.columns(
            "Open issues per category at the end of each week",
            weeks,
            [S(CATEGORY_NAMES[c], f"c-{c}", [r[str(c)] for r in data], charts.count)
             for c in reports.OPEN_CATEGORIES],
            stacked=True, tick_fmt=charts.count,
        )  # fmt: skip
    if name in {"cycle-time", "resolution-time"}:
        buckets = [label for label, _ in reports.DURATION_BUCKETS]
        return charts.columns(
            "Issues per duration, stacked by priority",
            buckets,
            [S(r["priority_name"], f"c-p{r['priority']}", [b["count"] for b in r["buckets"]],
               charts.count) for r in data],
            stacked=True, tick_fmt=charts.count,
        )  # fmt: skip
    if name == "aging":
        return charts.columns(
            "Open issues per age, stacked by status",
            data["buckets"],
            [S(r["status"], f"c-{r['category']}", r["buckets"], charts.count)
             for r in data["rows"]],
            stacked=True, tick_fmt=charts.count,
        )  # fmt: skip
    if name == "workload":
        people = [*(r["name"] for r in data["rows"]), "Unassigned"]
        rows = [*(r["by_priority"] for r in data["rows"]), data["unassigned"]["by_priority"]]
        return charts.columns(
            "Open issues per assignee, stacked by priority",
            people,
            [S(p["name"], f"c-p{p['value']}", [r[p["value"]] for r in rows], charts.count)
             for p in data["priorities"]],
            stacked=True, tick_fmt=charts.count,
        )  # fmt: skip
    raise KeyError(name)


DURATION_COLUMNS = {"Median (s)", "P90 (s)"}


def _readable(headers, rows):
    """The page's version of a table: durations as "3 d 4 h"."""
    spots = [i for i, h in enumerate(headers) if h in DURATION_COLUMNS]
    out = []
    for row in rows:
        row = list(row)
        for i in spots:
            row[i] = duration(row[i]) if row[i] != "" else "—"
        out.append(row)
    return [h.replace(" (s)", "") for h in headers], out


def _rights(request, team) -> dict:
    from accounts import permissions

    return {"admin": permissions.can(request.user, "admin", team)}


@login_required
def team_reports(request, team_key):
    team = selectors.get_team_for_user(request.user, team_key)
    form = ReportFilterForm(request.GET, team=team)
    if not form.is_valid():
        context = {
            "team": team,
            "current_team": team,
            "form": form,
            "rights": _rights(request, team),
        }
        template = "issues/reports.html#results" if request.htmx else "issues/reports.html"
        return render(request, template, context, status=400)
    window = form.report_filter()
    # Show the dates the defaults filled in.
    form.data = form.data.copy()
    form.data["start"] = form.cleaned_data["start"].isoformat()
    form.data["end"] = form.cleaned_data["end"].isoformat()
    if request.GET.get("format") == "csv":
        return _csv(team, request.GET.get("report", ""), window)
    sections = []
    for name, title in SECTIONS:
        data = reports.REPORTS[name](team, window)
        headers, rows = _readable(*table(name, data))
        sections.append(
            {"name": name, "title": title, "data": data, "chart": chart(name, data),
             "headers": headers, "rows": rows, "wide": len(headers) > 6}
        )  # fmt: skip
    query = request.GET.copy()
    query.pop("format", None)
    query.pop("report", None)
    context = {
        "team": team,
        "current_team": team,
        "rights": _rights(request, team),
        "form": form,
        "window": window,
        "last_day": form.cleaned_data["end"],
        "first_day": form.cleaned_data["start"],
        "sections": sections,
        "query": query.urlencode(),
    }
    if request.htmx:
        return render(request, "issues/reports.html#results", context)
    return render(request, "issues/reports.html", context)


def _csv(team, name: str, window) -> HttpResponse:
    if name not in reports.REPORTS:
        raise Http404("No such report.")
    headers, rows = table(name, reports.REPORTS[name](team, window))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"{team.key}-{name}-{window.start.date()}-{window.end.date()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(headers)
    writer.writerows(rows)
    return response
