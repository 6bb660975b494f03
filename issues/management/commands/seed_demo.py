"""Fill the database with a believable installation: for demos, or big for benchmarks.

    manage.py seed_demo                  4 teams, 24 people, customers, labels and ~300
                                         issues with six months of history
    manage.py seed_demo --reset          delete the demo data first, then seed anew
    manage.py seed_demo --issues 100000  add issues in bulk (benchmarks); creates the base
                                         installation (5 teams, 50 people) on an empty DB

The default mode writes every issue change through issues/services.py with
historical `now=` values, so the timeline is exactly what the app would have
recorded. Bulk mode would take hours that way, so it writes the same rows directly;
`BulkWriter.story` mirrors what each service writes (event kinds, data, version,
last_activity_at, resolved_at, watchers, status periods, the search document), so
pages, reports and the stale sweep cannot tell the difference. On SQLite it writes
them with bulk_create; on PostgreSQL with COPY, planned in worker processes, in one
transaction (see "executing: in bulk on PostgreSQL" below): a million issues with
their histories in minutes.

Every issue's story is planned in "virtual hours" from one `random.Random(seed)`,
then mapped onto real times between six months ago and now with office hours
busier than nights and weekends. The same seed therefore gives the same titles,
numbers and event kinds whenever the command runs.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import heapq
import json
import math
import multiprocessing
import os
import random
import re
import sys
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

import django
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.db.models.base import ModelState
from django.db.models.functions import Lower
from django.utils import timezone
from tqdm import tqdm

from accounts.models import Membership, Team
from accounts.permissions import ACTIONS
from issues import demo_data, markdown, pickers, search, services
from issues.models import (
    Assignment,
    Comment,
    Customer,
    Issue,
    IssueCustomer,
    IssueEvent,
    Label,
    Organization,
    Status,
    StatusPeriod,
)

User = get_user_model()
Kind = IssueEvent.Kind
Priority = Issue.Priority
IN_PROGRESS = Status.Category.IN_PROGRESS
WAITING = Status.Category.WAITING

HISTORY_DAYS = 182
DEMO_ISSUES = 300
SMALL_ISSUES = 60
DEMO_CUSTOMERS = 40
BULK_TEAMS = 5
BULK_USERS = 50
BULK_CUSTOMERS = 200
# Bulk mode: issues planned and written together, and rows per INSERT (SQLite).
CHUNK = 2_000
BATCH = 5_000
# PostgreSQL: a load of at least this many issues, and at least as many as are there
# already, drops the secondary indexes and constraints of the tables it fills and
# builds them again at the end, with this much memory for each build.
REBUILD_FROM = 50_000
MAINTENANCE_WORK_MEM = "1GB"
# PostgreSQL: from this many chunks on, worker processes (one per core) plan and
# format chunks while the main process streams them to the database.
PARALLEL_FROM = 4

GENERATED_ROLES = {"member": 55, "support": 25, "viewer": 15, "admin": 5}

# One planned change: (virtual hour, operation, actor, arguments).
Step = tuple[float, str, Any, dict[str, Any]]


# --- time --------------------------------------------------------------------------


def _activity(hour: dt.datetime) -> float:
    """How busy the tracker is in this (UTC) hour, relative to a weekday afternoon."""
    h = hour.hour
    if hour.weekday() >= 5:
        return 0.06 if 10 <= h < 18 else 0.02
    if 9 <= h < 17:
        return 1.0
    if h in (8, 17):
        return 0.6
    if 18 <= h < 22:
        return 0.15
    return 0.03


class Clock:
    """Maps virtual hours 0..span onto real times from `days` ago up to `now`.

    Virtual time flows evenly; real time is stretched over nights and weekends, so
    most activity lands in office hours. Monotonic: later virtual, later real. Bulk
    mode works in whole microseconds from `start` (`us`), which `at` turns into the
    same datetimes the services get.
    """

    def __init__(self, now: dt.datetime, days: int):
        self.now = now
        self.start = now - dt.timedelta(days=days)
        self.span = days * 24.0
        total = (now - self.start).total_seconds()
        edges, weights, rates = [0.0], [0.0], []
        hour = self.start.replace(minute=0, second=0, microsecond=0)
        while edges[-1] < total:
            hour += dt.timedelta(hours=1)
            end = min((hour - self.start).total_seconds(), total)
            rate = _activity(hour - dt.timedelta(hours=1))
            weights.append(weights[-1] + (end - edges[-1]) * rate)
            edges.append(end)
            rates.append(rate)
        self._edges, self._weights, self._rates = edges, weights, rates
        self._scale = weights[-1] / self.span
        epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        self._epoch_us = (self.start - epoch) // dt.timedelta(microseconds=1)
        self._hours: dict[int, str] = {}

    def us(self, v: float) -> int:
        """Microseconds from `start` to virtual hour `v`."""
        target = min(max(v, 0.0), self.span) * self._scale
        k = min(bisect.bisect_right(self._weights, target) - 1, len(self._rates) - 1)
        seconds = self._edges[k] + (target - self._weights[k]) / self._rates[k]
        return round(min(seconds, self._edges[-1]) * 1_000_000)

    def at(self, v: float) -> dt.datetime:
        return self.datetime(self.us(v))

    def datetime(self, us: int) -> dt.datetime:
        return self.start + dt.timedelta(microseconds=us)

    def iso(self, us: int) -> str:
        """The time `us` microseconds after `start` as PostgreSQL timestamptz input, in
        UTC (what isoformat would say, with less work: the hour's text is kept)."""
        hour, rest = divmod(self._epoch_us + us, 3_600_000_000)
        prefix = self._hours.get(hour)
        if prefix is None:
            when = dt.datetime.fromtimestamp(hour * 3600, dt.UTC)
            prefix = self._hours[hour] = when.strftime("%Y-%m-%d %H:")
        minute, rest = divmod(rest, 60_000_000)
        second, micro = divmod(rest, 1_000_000)
        return f"{prefix}{minute:02}:{second:02}.{micro:06}+00"


# --- who works in a team -----------------------------------------------------------


@dataclass
class TeamPlan:
    """What the planner needs to know about one team: people by role, workflow, labels."""

    team: Team
    profile: dict
    weight: int
    statuses: dict[str, Status | None]
    labels: list[Label]
    creators: list = field(default_factory=list)
    triagers: list = field(default_factory=list)
    supporters: list = field(default_factory=list)
    viewers: list = field(default_factory=list)
    triager_ids: set[int] = field(default_factory=set)
    planned: list[int] = field(default_factory=list)  # service mode: issue indices

    @property
    def key(self) -> str:
        return self.team.key

    def handles(self, actor) -> list[str]:
        return [u.username for u in self.creators if u is not actor]


def team_plans(teams: list[Team]) -> list[TeamPlan]:
    shares = {key: share for key, _, _, share in demo_data.TEAMS}
    plans = []
    for team in teams:
        statuses = list(Status.objects.filter(team=team).order_by("position", "pk"))
        if not statuses:
            continue
        by_category = defaultdict(list)
        for status in statuses:
            by_category[status.category].append(status)

        def first(category: str, n: int = 0, found=by_category) -> Status | None:
            return found[category][n] if len(found[category]) > n else None

        initial = services.default_status(team)
        plan = TeamPlan(
            team=team,
            profile=demo_data.PROFILES.get(team.key, demo_data.DEFAULT_PROFILE),
            weight=shares.get(team.key, 15),
            statuses={
                "new": initial,
                "triaged": first(Status.Category.TODO),
                "progress": first(Status.Category.IN_PROGRESS),
                "waiting": first(Status.Category.WAITING),
                "resolved": first(Status.Category.DONE),
                "closed": first(Status.Category.DONE, 1),
                "wontfix": first(Status.Category.CANCELLED),
            },
            labels=list(Label.objects.filter(team=team).order_by("name")),
        )
        memberships = (
            Membership.objects.filter(team=team, user__is_active=True)
            .select_related("user")
            .order_by("user__username")
        )
        # The site admin is in every team; leave the work to the team's own people.
        people = [m for m in memberships if not m.user.is_superuser] or list(memberships)
        for m in people:
            if m.role in ACTIONS["create"]:
                plan.creators.append(m.user)
            if m.role in ACTIONS["triage"]:
                plan.triagers.append(m.user)
                plan.triager_ids.add(m.user.pk)
            if m.role == Membership.Role.SUPPORT:
                plan.supporters.append(m.user)
            if m.role == Membership.Role.VIEWER:
                plan.viewers.append(m.user)
        plans.append(plan)
    return plans


# --- texts -------------------------------------------------------------------------


class FreshTexts:
    """Service mode: a new text for every issue and comment; the services render them."""

    def issue(self, rng, team_key, kind, customer):
        title = demo_data.title(rng, kind, team_key)
        return title, demo_data.description(rng, kind, team_key, customer=customer), None

    def comment(self, rng, team_key, situation, customer, mentions):
        text = demo_data.comment(rng, situation, team_key, customer=customer, mentions=mentions)
        return text, None


class PooledTexts:
    """Bulk mode: unique titles, but descriptions and comments from small pools rendered
    once (rendering Markdown per row would dominate the run). Pool texts mention nobody,
    which is what keeps the events' empty `mentions` true. Each pool is drawn by its own
    generator, seeded with `seed` and the pool's key, so every process planning chunks of
    one run has the same pools whatever order it meets them in."""

    POOL = 24

    def __init__(self, seed: int):
        self.seed = seed
        self.pools: dict[tuple[str, ...], list[tuple[str, str]]] = {}

    def _pool(self, key: tuple[str, ...], make) -> list[tuple[str, str]]:
        pool = self.pools.get(key)
        if pool is None:
            rng = random.Random(":".join((str(self.seed), *key)))
            texts = [make(rng) for _ in range(self.POOL)]
            pool = self.pools[key] = [(text, markdown.render(text)) for text in texts]
        return pool

    def issue(self, rng, team_key, kind, customer):
        pool = self._pool(
            ("description", team_key, kind),
            lambda r: demo_data.description(r, kind, team_key),
        )
        return demo_data.title(rng, kind, team_key), *rng.choice(pool)

    def comment(self, rng, team_key, situation, customer, mentions):
        pool = self._pool(
            ("comment", team_key, situation),
            lambda r: demo_data.comment(r, situation, team_key),
        )
        return rng.choice(pool)


# --- planning one issue's story ----------------------------------------------------

PRIORITIES = {
    "bug": {Priority.URGENT: 8, Priority.HIGH: 25, Priority.MEDIUM: 40, Priority.LOW: 27},
    "complaint": {Priority.URGENT: 15, Priority.HIGH: 40, Priority.MEDIUM: 35, Priority.LOW: 10},
    "question": {Priority.HIGH: 10, Priority.MEDIUM: 40, Priority.LOW: 50},
}
OTHER_PRIORITIES = {Priority.HIGH: 10, Priority.MEDIUM: 45, Priority.LOW: 45}
WORK_SITUATIONS = {"bug": "work", "feature": "work_task", "task": "work_task"}
# How a story ends (before "now" cuts it short): stuck somewhere, refused, or resolved.
FATES = {"untriaged": 2, "stall_todo": 2, "stall_progress": 3, "wontfix": 6, "resolve": 87}


class _Story:
    """One issue's planned steps and the state the planner needs to keep them valid."""

    def __init__(self, planner: Planner, tp: TeamPlan, v: float, customer: Customer | None):
        self.planner, self.tp, self.v = planner, tp, v
        self.customer = customer
        self.first_name = customer.name.split()[0] if customer else None
        self.steps: list[Step] = []
        self.status = tp.statuses["new"]
        self.labels: list[Label] = []
        self.priority = Priority.NONE
        self.title = ""

    def add(self, hours: float, op: str, actor, **args) -> None:
        self.v += hours
        self.steps.append((self.v, op, actor, args))

    def move(self, hours: float, to: str, actor) -> None:
        status = self.tp.statuses[to]
        if status is not None and status.id != self.status.id:
            self.status = status
            self.add(hours, "status", actor, to=status)

    def say(
        self, hours: float, situation: str, actor, *, public: bool | None = None, mention=None
    ) -> None:
        rng, tp = self.planner.rng, self.tp
        mentions: list[str] = []
        if self.planner.rich:
            mentions = [mention.username] if mention else tp.handles(actor)
        body, html = self.planner.texts.comment(rng, tp.key, situation, self.first_name, mentions)
        if public is None:
            public = situation in demo_data.PUBLIC_SITUATIONS
        self.add(hours, "comment", actor, body=body, html=html, public=public)


class Planner:
    """Plans issue stories in virtual hours. `rich` (service mode) also uses the changes
    bulk mode doesn't write: combined edits, duplicates, watching, due dates, titles."""

    def __init__(self, rng: random.Random, clock: Clock, texts, customers, *, rich: bool):
        self.rng, self.clock, self.texts, self.customers = rng, clock, texts, customers
        self.rich = rich

    def hours(self, median: float, sigma: float = 0.9) -> float:
        return self.rng.lognormvariate(math.log(median), sigma)

    def priority(self, kind: str) -> int:
        return int(demo_data.pick(self.rng, PRIORITIES.get(kind, OTHER_PRIORITIES)))

    def pick_labels(self, tp: TeamPlan, kind: str, current: list[Label]) -> list[Label]:
        rng = self.rng
        taken = {lb.id for lb in current}
        free = [lb for lb in tp.labels if lb.id not in taken]
        hinted = [lb for lb in free if lb.name in demo_data.KIND_LABELS.get(kind, ())]
        chosen = [rng.choice(hinted)] if hinted and rng.random() < 0.7 else []
        if free and (not chosen or rng.random() < 0.3):
            extra = rng.choice(free)
            if not chosen or chosen[0].id != extra.id:
                chosen.append(extra)
        return chosen

    def plan(self, tp: TeamPlan, v: float) -> list[Step]:
        """The steps of one issue, from its creation at virtual hour `v` until its story
        ends or reaches now, whichever comes first."""
        rng, profile = self.rng, tp.profile
        kind = demo_data.pick(rng, profile["kinds"])
        from_customer = bool(self.customers) and rng.random() < profile["customer_rate"]
        customer = rng.choice(self.customers) if from_customer else None
        people = tp.supporters if from_customer and tp.supporters else tp.creators
        reporter = rng.choice(people) if people else None
        channel = demo_data.pick(rng, profile["customer_channels" if from_customer else "channels"])
        story = _Story(self, tp, v, customer)
        triage_on_create = reporter is not None and reporter.id in tp.triager_ids
        if triage_on_create and rng.random() < 0.5:
            story.priority = self.priority(kind)
        if triage_on_create and tp.labels and rng.random() < 0.35:
            story.labels = self.pick_labels(tp, kind, [])
        link_later = customer is not None and rng.random() < 0.15
        title, description, html = self.texts.issue(rng, tp.key, kind, story.first_name)
        due_date = None
        if kind == "task" and rng.random() < 0.3:
            due_date = (self.clock.at(v) + dt.timedelta(days=rng.randint(5, 45))).date()
        story.steps.append(
            (
                v,
                "create",
                reporter,
                {
                    "title": title,
                    "description": description,
                    "html": html,
                    "kind": kind,
                    "priority": story.priority,
                    "labels": list(story.labels),
                    "customer": None if link_later else customer,
                    "channel": channel,
                    "due_date": due_date,
                },
            )
        )
        story.title = title
        self._story(story, kind, reporter, link_later)
        return [step for step in story.steps if step[0] <= self.clock.span]

    def _story(self, s: _Story, kind: str, reporter, link_later: bool) -> None:
        rng, h, tp = self.rng, self.hours, s.tp
        supporter = rng.choice(tp.supporters) if tp.supporters else reporter
        if link_later:
            s.add(h(0.5), "customer", supporter, customer=s.customer)
        if s.customer and len(self.customers) > 1 and rng.random() < 0.2:
            # Other customers call about the same problem: support adds them ("+1").
            for _ in range(rng.choice((1, 1, 1, 2, 3))):
                s.add(h(20, 1.2), "customer", supporter, customer=rng.choice(self.customers))
        if rng.random() < 0.25:
            s.say(h(1.5), "more_info", reporter)
        if s.customer and tp.supporters and rng.random() < 0.8:
            s.say(h(0.5), "ack", supporter)
        if self.rich and tp.viewers and rng.random() < 0.2:
            viewer = rng.choice(tp.viewers)
            s.add(h(6), "watch", viewer, user=viewer)

        weights = dict(FATES)
        if kind in {"feature", "feedback"}:
            weights["wontfix"] = 25
        fate = demo_data.pick(rng, weights)
        if self.rich and len(tp.planned) > 3 and rng.random() < 0.04:
            fate = "duplicate"
        if fate == "untriaged":
            return
        triager = rng.choice(tp.triagers) if tp.triagers else None
        decider = triager or reporter
        s.v += h(5)
        if fate == "duplicate":
            s.say(0.05, "duplicate", decider)
            s.add(0.02, "duplicate", decider, of=rng.choice(tp.planned[-30:]))
            return
        if fate == "wontfix":
            s.say(0.05, "wontfix", decider, public=s.customer is not None)
            s.move(0.02, "wontfix", decider)
            return

        worker = rng.choice(tp.creators) if tp.creators else reporter
        self._triage(s, kind, triager, worker)
        if fate == "stall_todo":
            return

        # Features and tasks wait in the backlog longer than problems people have now.
        backlog = h(140, 1.3) if kind in {"feature", "task", "feedback"} else h(48, 1.2)
        s.move(backlog, "progress", worker)
        work = WORK_SITUATIONS.get(kind, "work_question")
        for _ in range(rng.choice([0, 1, 1, 2, 2, 3, 3, 4])):
            s.say(h(8), work, worker)
        if triager and rng.random() < 0.12 and s.priority != Priority.URGENT:
            s.say(h(4), "escalate", triager)
            current = Priority.MEDIUM if s.priority == Priority.NONE else s.priority
            s.priority = max(Priority.URGENT, current - 1)
            s.add(0.02, "priority", triager, priority=s.priority)
        if triager and worker and rng.random() < 0.08:
            other = rng.choice(tp.creators)
            if other is not worker:
                s.add(h(6), "assign", triager, user=other)
                s.add(0.02, "unassign", triager, user=worker)
                worker = other
        if rng.random() < (0.45 if s.customer else 0.08):
            asker = supporter if s.customer else worker
            ask = "ask_repro" if kind == "bug" else "ask_info"
            s.say(h(4), ask, asker, public=s.customer is not None)
            s.move(0.02, "waiting", asker)
            if rng.random() < 0.07:
                return  # the customer never answers
            s.say(h(40, 1.1), "customer_reply", asker)
            s.move(0.02, "progress", asker)
        if fate == "stall_progress":
            return
        if rng.random() < 0.4:
            s.say(h(10), "chatter", rng.choice(tp.creators) if tp.creators else worker)
        done = "fixed" if kind in {"bug", "feature", "task"} else "answered"
        if s.customer:
            if rng.random() < 0.5:
                s.say(h(60, 1.2), done, worker)
            s.say(h(4), "fixed_public", supporter)
            s.move(0.05, "resolved", worker)
        else:
            s.say(h(60, 1.2), done, worker)
            s.move(0.02, "resolved", worker)
        if rng.random() < 0.1:
            s.say(h(72, 1.0), "reopen", supporter if s.customer else reporter)
            s.move(0.02, "progress", worker)
            s.say(h(12), work, worker)
            s.say(h(10), done, worker)
            s.move(0.02, "resolved", worker)
        if decider and rng.random() < 0.45:
            if rng.random() < 0.4:
                s.say(h(96), "close", decider)
                s.move(0.02, "closed", decider)
            else:
                s.move(h(96), "closed", decider)

    def _triage(self, s: _Story, kind: str, triager, worker) -> None:
        """A triager sets priority and labels, assigns someone and accepts the issue:
        in one edit (rich mode, half the time) or as separate changes."""
        rng, tp = self.rng, s.tp
        if triager is None:
            s.move(0.05, "triaged", worker)
            return
        new_priority = self.priority(kind) if s.priority == Priority.NONE else None
        new_labels = []
        if tp.labels and rng.random() < 0.75:
            new_labels = self.pick_labels(tp, kind, s.labels)
        if self.rich and rng.random() < 0.5:
            changes: dict[str, Any] = {}
            if new_priority:
                changes["priority"] = s.priority = new_priority
            if new_labels:
                changes["labels"] = s.labels = s.labels + new_labels
            if worker is not None:
                changes["assignees"] = [worker]
            triaged = tp.statuses["triaged"]
            if triaged is not None and triaged != s.status:
                changes["status"] = s.status = triaged
            if kind == "task" and rng.random() < 0.3:
                changes["due_date"] = (self.clock.at(s.v) + dt.timedelta(days=14)).date()
            s.add(0.05, "update", triager, **changes)
        else:
            if new_priority:
                s.priority = new_priority
                s.add(0.05, "priority", triager, priority=new_priority)
            for label in new_labels:
                s.labels = [*s.labels, label]
                s.add(0.02, "label", triager, label=label)
            if worker is not None:
                s.add(0.02, "assign", triager, user=worker)
            s.move(0.02, "triaged", triager)
        if self.rich and rng.random() < 0.03:
            s.title = f"{s.title} {rng.choice(demo_data.TITLE_SUFFIXES)}"[: services.TITLE_MAX]
            s.add(0.05, "update", triager, title=s.title)
        if rng.random() < 0.5:
            s.say(0.1, "triage", triager, mention=worker if worker is not triager else None)


def creation_hours(rng: random.Random, count: int, span: float) -> list[float]:
    """Sorted creation times (virtual hours); the product grows, so later is busier."""
    usable = span - 6
    return [usable * ((i + rng.random()) / count) ** 0.6 for i in range(count)]


def pick_team(rng: random.Random, plans: list[TeamPlan]) -> TeamPlan:
    return rng.choices(plans, weights=[p.weight for p in plans])[0]


_TEXTS: dict[int, PooledTexts] = {}


@dataclass
class BulkPlan:
    """What every chunk of a bulk load is planned from. A chunk's stories come from its
    own generator, seeded with `seed` and the chunk's index, so they are the same
    whichever process plans them: worker processes can plan chunks side by side, and the
    same seed still gives the same titles, numbers and event kinds."""

    seed: int
    clock: Clock
    teams: list[TeamPlan]
    customers: list

    def stories(
        self, index: int, hours: list[float], teams: list[int]
    ) -> list[tuple[TeamPlan, list[Step]]]:
        """The stories of chunk `index`: one issue per creation hour, in the team at the
        same position of `teams` (indices into `self.teams`)."""
        texts = _TEXTS.get(self.seed)
        if texts is None:  # one pool per process and run: pools render Markdown
            texts = _TEXTS[self.seed] = PooledTexts(self.seed)
        rng = random.Random(f"{self.seed}:chunk:{index}")
        planner = Planner(rng, self.clock, texts, self.customers, rich=False)
        return [
            (self.teams[t], planner.plan(self.teams[t], v))
            for v, t in zip(hours, teams, strict=True)
        ]


# --- executing: through the services -------------------------------------------------


def replay_through_services(
    plans: list[tuple[TeamPlan, list[Step]]], clock: Clock, disable: bool | None = True
) -> None:
    """Replay every step through issues/services.py in time order, and the sweeps
    (services.sweep_stale and sweep_follow_ups) at each sweep time when one of them may
    have something to write: after each step, the sweeps its issue's quiet spell falls
    due at, if before its next step (a sweep with nothing due writes nothing, so the
    other sweep times can be left out). At the same instant, steps go first."""
    every = sweep_every_us()
    end = clock.us(clock.span)
    queue = [
        (clock.us(step[0]), 0, step[0], i, k)
        for i, (_, steps) in enumerate(plans)
        for k, step in enumerate(steps)
    ]
    heapq.heapify(queue)
    swept: set[int] = set()
    issues: dict[int, Issue] = {}
    progress = tqdm(total=len(queue), desc="history", unit="step", file=sys.stderr, disable=disable)
    while queue:
        t, sweep, v, i, k = heapq.heappop(queue)
        if sweep:
            services.sweep_stale(now=clock.datetime(t))
            services.sweep_follow_ups(now=clock.datetime(t))
            continue
        progress.update()
        _replay_step(plans, issues, clock, v, i, k)
        steps = plans[i][1]
        until = clock.us(steps[k + 1][0]) if k + 1 < len(steps) else end
        for at in _sweeps_due(issues[i], clock, every):
            if t <= at < until and at not in swept:
                swept.add(at)
                heapq.heappush(queue, (at, 1, 0.0, -1, -1))
    progress.close()


def _sweeps_due(issue: Issue, clock: Clock, every: int) -> list[int]:
    """The sweep times at which `issue`, as it is now, falls due: stale and escalated
    for its current quiet spell, or a follow-up while it waits on a customer."""
    after = issue.status.stale_after
    if after is None or issue.resolved_at is not None:
        return []
    start, tick = clock.start, dt.timedelta(microseconds=1)
    if issue.status.category == WAITING:
        since = issue.waiting_since
        return [] if since is None else [next_sweep((since - start + after) // tick, every)]
    last = issue.last_activity_at - start
    return [
        next_sweep((last + after) // tick, every),
        next_sweep((last + 2 * after) // tick, every),
    ]


def _replay_step(plans, issues: dict[int, Issue], clock: Clock, v: float, i: int, k: int) -> None:
    """One step of one story through the services."""
    tp, steps = plans[i]
    _, op, actor, args = steps[k]
    now = clock.at(v)
    if op == "create":
        args = {key: value for key, value in args.items() if key != "html"}
        issues[i] = services.create_issue(tp.team, actor=actor, now=now, **args)
        return
    issue = issues[i]
    if op == "comment":
        services.add_comment(issue, body=args["body"], public=args["public"], actor=actor, now=now)
    elif op == "status":
        services.change_status(issue, to=args["to"], actor=actor, now=now)
    elif op == "assign":
        services.assign(issue, assignee=args["user"], actor=actor, now=now)
    elif op == "unassign":
        services.unassign(issue, assignee=args["user"], actor=actor, now=now)
    elif op == "label":
        services.set_labels(issue, labels=[args["label"]], mode="add", actor=actor, now=now)
    elif op == "priority":
        services.update_issue(issue, priority=args["priority"], actor=actor, now=now)
    elif op == "customer":
        services.add_customer(issue, customer=args["customer"], actor=actor, now=now)
    elif op == "duplicate":
        services.mark_duplicate(issue, of=issues[args["of"]], actor=actor, now=now)
    elif op == "watch":
        services.watch(issue, user=args["user"], actor=actor)
    elif op == "update":
        services.update_issue(issue, actor=actor, now=now, **args)
    else:
        raise AssertionError(op)


# --- executing: in bulk ------------------------------------------------------------


class RowMaker:
    """Makes unsaved `model` instances from values for the fields `names` the way Django
    makes instances of loaded rows, filling `__dict__` directly: Model.__init__ (and its
    descriptors) would be a third of the bulk mode's Python time. Fields not named (a
    column added later) get their defaults."""

    def __init__(self, model, names: str):
        self.model, self.names = model, names.split()
        self.defaults = [
            (f.attname, f.get_default)
            for f in model._meta.concrete_fields
            if f.attname not in self.names
        ]

    def __call__(self, *values):
        instance = self.model.__new__(self.model)
        instance._state = ModelState()
        fields = instance.__dict__
        for name, default in self.defaults:
            fields[name] = default()
        fields.update(zip(self.names, values, strict=True))
        return instance


# The sweeps of the seeded past. A tracker that had been running would have swept every
# few minutes (settings' beat schedule) and reported each issue as it went quiet, then
# escalated it, and reminded support of each customer gone silent: the history has those
# events and the issues the sweeps' memory of them, so the first real sweep after seeding
# finds only what went quiet since, as every later one does.
def sweep_every_us() -> int:
    """Microseconds between two sweeps, as the beat schedule runs them."""
    every = settings.CELERY_BEAT_SCHEDULE["sweep-stale-issues"]["schedule"]
    return every // dt.timedelta(microseconds=1)


def next_sweep(us: int, every: int) -> int:
    """The first sweep strictly after `us` (sweeps run at whole multiples of `every`
    from the clock's start)."""
    return (us // every + 1) * every


class _Sweeps:
    """What services.sweep_stale and sweep_follow_ups write about one issue over its
    history, given its quiet spells in time order. Also keeps the waiting clock (as
    services._move_waiting_clock), which the follow-ups run on."""

    __slots__ = (
        "escalated", "followed", "out", "reported", "reporter_id", "resume_status",
        "waiting_set_by", "waiting_since", "writer",
    )  # fmt: skip

    def __init__(self, writer: BulkWriter, out, reporter_id: int | None):
        self.writer, self.out, self.reporter_id = writer, out, reporter_id
        self.reported = self.escalated = self.followed = None
        self.waiting_since = self.waiting_set_by = self.resume_status = None

    def moved(self, previous: Status, to: Status, t: int, actor_id: int | None) -> None:
        if to.category == WAITING and previous.category != WAITING:
            self.waiting_since, self.waiting_set_by = t, actor_id
            self.resume_status = None if previous.is_closed else previous.id
        elif to.category != WAITING:
            self.waiting_since = self.waiting_set_by = self.resume_status = None

    def until(self, end: int, status: Status, last: int) -> None:
        """The sweeps before `end` (the next activity, or the seeding's now) in the spell
        that has been quiet since `last` in `status`."""
        after = self.writer.stale_us(status)
        if after is None:
            return
        every, out, when = self.writer.sweep_every, self.out, self.writer.clock.datetime
        if status.category == WAITING:
            since = self.waiting_since
            if since is None or self.followed == since:
                return
            at = next_sweep(since + after, every)
            if at < end:
                follower = self.waiting_set_by or self.reporter_id
                data = services.follow_up_event_data(status, when(since), follower, when(at))
                out.event(None, Kind.FOLLOW_UP_DUE, at, None, None, None, None, data)
                self.followed = since
            return
        for kind, due in ((Kind.BECAME_STALE, after), (Kind.STALE_ESCALATED, 2 * after)):
            done = self.reported if kind == Kind.BECAME_STALE else self.escalated
            at = next_sweep(last + due, every)
            if done == last or at >= end:
                continue
            data = services.stale_event_data(status, when(last), when(at))
            out.event(None, kind, at, None, None, None, None, data)
            if kind == Kind.BECAME_STALE:
                self.reported = last
            else:
                self.escalated = last


class BulkWriter:
    """Writes planned stories with bulk_create, row for row what the services would
    write had each step been one service call (so version = 1 + events after `created`).
    Supports the steps a non-rich Planner makes."""

    def __init__(self, clock: Clock):
        self.clock = clock
        self.issue = RowMaker(
            Issue,
            "team_id number title description description_html kind priority status_id "
            "reporter_id customer_count channel due_date duplicate_of_id created_at resolved_at "
            "last_activity_at version started_at waiting_since waiting_set_by_id "
            "resume_status_id stale_reported_for stale_escalated_for follow_up_reported_for",
        )
        self.comment = RowMaker(
            Comment, "issue_id author_id body body_html is_public created_at edited_at"
        )
        self.event = RowMaker(
            IssueEvent,
            "issue_id actor_id kind created_at from_status_id to_status_id subject_user_id "
            "comment_id data",
        )
        self.assignment = RowMaker(Assignment, "issue_id user_id assigned_by_id assigned_at")
        self.period = RowMaker(
            StatusPeriod,
            "issue_id team_id status_id entered_at left_at entered_by_id entered_event_id",
        )
        self.label_link = RowMaker(Issue.labels.through, "issue_id label_id")
        self.watcher_link = RowMaker(Issue.watchers.through, "issue_id user_id")
        self.customer_link = RowMaker(IssueCustomer, "issue_id customer_id added_by_id added_at")
        # Event data that repeats (all but `created`'s), made once: the same dict for
        # the same change. Nothing changes them after story() returns.
        self._data: dict[tuple, dict] = {}
        self.sweep_every = sweep_every_us()
        self._stale_us: dict[int, int | None] = {}

    def stale_us(self, status: Status) -> int | None:
        """The microseconds after which an issue in `status` is swept (stale, or due a
        follow-up when waiting); None where no sweep looks (closed, or no clock)."""
        try:
            return self._stale_us[status.id]
        except KeyError:
            after = None if status.is_closed or status.stale_after is None else status.stale_after
            value = None if after is None else after // dt.timedelta(microseconds=1)
            self._stale_us[status.id] = value
            return value

    def story(self, tp: TeamPlan, steps: list[Step], out) -> None:
        """Hand the rows of one story to `out`, times in microseconds from the clock's
        start: `out.begin()`, then in time order `out.comment(author_id, body, html,
        public, t)` and `out.event(actor_id, kind, t, from_status_id, to_status_id,
        subject_user_id, comment, data)`, which return what later rows point at them by
        (`comment` is what out.comment returned), and last `out.issue(tp, fields,
        assignments, label_ids, watcher_ids, customers, periods)` with the issue's
        fields (as RowMaker names them, without the number), its assignments (user,
        by, at), customer links (customer, by, at) and status periods (status,
        entered, left, by, event)."""
        us = self.clock.us
        v0, _, reporter, a = steps[0]
        t0 = us(v0)
        status = tp.statuses["new"]
        reporter_id = reporter.id if reporter else None  # (.id, not .pk: plain attribute)
        # customer id -> (customer id, added by, added at), as services.add_customer writes
        first = a["customer"]
        customers = {first.id: (first.id, reporter_id, t0)} if first else {}
        priority = int(a["priority"])
        out.begin()
        created = out.event(
            reporter_id,
            Kind.CREATED,
            t0,
            None,
            status.id,
            None,
            None,
            {
                "title": a["title"],
                "status": status.name,
                "priority": priority,
                "kind": a["kind"],
                "channel": a["channel"],
                "labels": [label.name for label in a["labels"]],
                "customer_ids": list(customers),
                "mentions": [],
            },
        )
        periods = [[status.id, t0, None, reporter_id, created]]
        label_ids = [label.id for label in a["labels"]]
        watcher_ids = {reporter_id} if reporter_id else set()
        assignments: dict[int, tuple] = {}
        resolved_at, last_activity, version = None, t0, 1
        # As services._enter_status: the first entry into an in-progress status.
        started_at = t0 if status.category == IN_PROGRESS else None
        sweeps = _Sweeps(self, out, reporter_id)
        shared = self._data
        for v, op, actor, args in steps[1:]:
            t = us(v)
            actor_id = actor.id if actor else None
            before = status
            if op == "comment":
                public = args["public"]
                data = shared.get((op, public))
                if data is None:
                    data = shared[op, public] = {"public": public, "mentions": []}
                comment = out.comment(actor_id, args["body"], args["html"], public, t)
                out.event(actor_id, Kind.COMMENTED, t, None, None, None, comment, data)
                if actor_id:
                    watcher_ids.add(actor_id)
            elif op == "status":
                to = args["to"]
                if to.id == status.id:
                    continue
                data = shared.get((op, status.id, to.id))
                if data is None:
                    data = shared[op, status.id, to.id] = {"from": status.name, "to": to.name}
                    if status.is_closed and not to.is_closed:
                        data["reopened"] = True
                event = out.event(
                    actor_id, Kind.STATUS_CHANGED, t, status.id, to.id, None, None, data
                )
                # As services._enter_status: the running maximum of the times.
                entered = max(t, periods[-1][1])
                periods[-1][2] = entered
                periods.append([to.id, entered, None, actor_id, event])
                resolved_at = (resolved_at or t) if to.is_closed else None
                if started_at is None and to.category == IN_PROGRESS:
                    started_at = entered
                sweeps.moved(status, to, t, actor_id)
                status = to
            elif op in {"assign", "unassign"}:
                user = args["user"]
                if op == "assign":
                    if user.id in assignments:
                        continue
                    assignments[user.id] = (user.id, actor_id, t)
                    watcher_ids.add(user.id)
                elif assignments.pop(user.id, None) is None:
                    continue
                kind = Kind.ASSIGNED if op == "assign" else Kind.UNASSIGNED
                data = shared.get(("user", user.id))
                if data is None:
                    data = shared["user", user.id] = {"user": user.username}
                out.event(actor_id, kind, t, None, None, user.id, None, data)
            elif op == "label":
                label = args["label"]
                if label.id in label_ids:
                    continue
                label_ids.append(label.id)
                data = shared.get((op, label.id))
                if data is None:
                    data = shared[op, label.id] = {"label": label.name, "label_id": label.id}
                out.event(actor_id, Kind.LABELED, t, None, None, None, None, data)
            elif op == "priority":
                new = int(args["priority"])
                if new == priority:
                    continue
                data = shared.get((op, priority, new))
                if data is None:
                    data = shared[op, priority, new] = {"from": priority, "to": new}
                out.event(actor_id, Kind.PRIORITY_CHANGED, t, None, None, None, None, data)
                priority = new
            elif op == "customer":
                new = args["customer"]
                if new.id in customers:
                    continue
                data = shared.get((op, new.id))
                if data is None:
                    data = shared[op, new.id] = {"customer_id": new.id, "name": new.name}
                out.event(actor_id, Kind.CUSTOMER_LINKED, t, None, None, None, None, data)
                customers[new.id] = (new.id, actor_id, t)
            else:
                raise AssertionError(f"bulk mode cannot write {op!r}")
            # The step ended a quiet spell (or went on with one, dated out of order).
            sweeps.until(t, before, last_activity)
            version += 1
            last_activity = max(last_activity, t)
        sweeps.until(self.clock.us(self.clock.span), status, last_activity)
        fields = (
            tp.team.id,
            a["title"],
            a["description"],
            a["html"],
            a["kind"],
            priority,
            status.id,
            reporter_id,
            len(customers),
            a["channel"],
            a["due_date"],
            None,
            t0,
            resolved_at,
            last_activity,
            version,
            started_at,
            sweeps.waiting_since,
            sweeps.waiting_set_by,
            sweeps.resume_status,
            sweeps.reported,
            sweeps.escalated,
            sweeps.followed,
        )
        out.issue(
            tp,
            fields,
            list(assignments.values()),
            label_ids,
            watcher_ids,
            list(customers.values()),
            periods,
        )

    def build(self, chunk: list[tuple[TeamPlan, list[Step]]]) -> _Chunk:
        """Unsaved instances for a chunk of stories; `write` fills in numbers and ids."""
        built = _Chunk(self)
        for tp, steps in chunk:
            self.story(tp, steps, built)
        return built

    def write(self, built: _Chunk) -> None:
        """Insert one built chunk in one transaction, taking gap-free numbers."""
        with transaction.atomic():
            team_ids = sorted({tp.team.pk for tp in built.teams})
            # Same lock as services.create_issue, so people filing issues meanwhile
            # cannot take the same numbers.
            numbers = dict(
                Team.objects.select_for_update()
                .filter(pk__in=team_ids)
                .order_by("pk")
                .values_list("pk", "next_number")
            )
            for tp, issue in zip(built.teams, built.issues, strict=True):
                issue.number = numbers[tp.team.pk]
                numbers[tp.team.pk] += 1
            Issue.objects.bulk_create(built.issues, batch_size=BATCH)
            for issue, comments in zip(built.issues, built.comments, strict=True):
                for comment in comments:
                    comment.issue_id = issue.pk
            Comment.objects.bulk_create(
                [c for comments in built.comments for c in comments], batch_size=BATCH
            )
            events, others = [], defaultdict(list)
            for issue, comments, issue_events, issue_others in zip(
                built.issues, built.comments, built.events, built.others, strict=True
            ):
                for event, index in issue_events:
                    event.issue_id = issue.pk
                    if index is not None:
                        event.comment_id = comments[index].pk
                    events.append(event)
                for row in issue_others:
                    row.issue_id = issue.pk
                    others[type(row)].append(row)
            IssueEvent.objects.bulk_create(events, batch_size=BATCH)
            periods = []
            for issue, issue_events, issue_periods in zip(
                built.issues, built.events, built.periods, strict=True
            ):
                for period, index in issue_periods:
                    period.issue_id = issue.pk
                    period.entered_event_id = issue_events[index][0].pk
                    periods.append(period)
            StatusPeriod.objects.bulk_create(periods, batch_size=BATCH)
            for model, rows in others.items():
                model.objects.bulk_create(rows, batch_size=BATCH)
            search.reindex([issue.pk for issue in built.issues])
            for team_id, next_number in numbers.items():
                Team.objects.filter(pk=team_id).update(next_number=next_number)
        for tp in built.teams:
            tp.team.next_number = numbers[tp.team.pk]

    def write_chunk(self, chunk: list[tuple[TeamPlan, list[Step]]]) -> None:
        self.write(self.build(chunk))


class _Chunk:
    """Per issue: its team, the issue, its comments, its events (with the index of
    their comment), its other rows (assignments, label and watcher links) and its
    status periods (with the index of the event that opened each). Made as the sink of
    BulkWriter.story, which gives it times in microseconds."""

    def __init__(self, writer: BulkWriter):
        self.writer, self.when = writer, writer.clock.datetime
        self.teams: list[TeamPlan] = []
        self.issues: list[Issue] = []
        self.comments: list[list[Comment]] = []
        self.events: list[list[tuple[IssueEvent, int | None]]] = []
        self.others: list[list] = []
        self.periods: list[list[tuple[StatusPeriod, int]]] = []

    def begin(self) -> None:
        self.comments.append([])
        self.events.append([])

    def comment(self, author_id, body, html, public, t) -> int:
        comments = self.comments[-1]
        comments.append(
            self.writer.comment(None, author_id, body, html, public, self.when(t), None)
        )
        return len(comments) - 1

    def event(self, actor_id, kind, t, from_id, to_id, subject_id, comment, data) -> int:
        events = self.events[-1]
        row = self.writer.event(
            None, actor_id, kind, self.when(t), from_id, to_id, subject_id, None, data
        )
        events.append((row, comment))
        return len(events) - 1

    def issue(self, tp, fields, assignments, labels, watchers, customers, periods) -> None:
        w, when = self.writer, self.when
        team_id, *rest = fields
        rest, times = rest[:-11], rest[-11:]
        t0, resolved_at, last_activity, version, started_at, *times = times
        waiting_since, waiting_set_by, resume_status, *swept = times
        self.teams.append(tp)
        self.issues.append(
            w.issue(
                team_id,
                None,  # the number, taken when the chunk is written
                *rest,
                when(t0),
                None if resolved_at is None else when(resolved_at),
                when(last_activity),
                version,
                None if started_at is None else when(started_at),
                None if waiting_since is None else when(waiting_since),
                waiting_set_by,
                resume_status,
                *(None if at is None else when(at) for at in swept),
            )
        )
        self.others.append(
            [w.assignment(None, user, by, when(at)) for user, by, at in assignments]
            + [w.label_link(None, pk) for pk in labels]
            + [w.watcher_link(None, pk) for pk in watchers]
            + [w.customer_link(None, pk, by, when(at)) for pk, by, at in customers]
        )
        self.periods.append(
            [
                (
                    w.period(
                        None,
                        team_id,
                        status,
                        when(entered),
                        None if left is None else when(left),
                        by,
                        None,
                    ),
                    event,
                )
                for status, entered, left, by, event in periods
            ]
        )


def _issue_models() -> tuple[list, list]:
    """Issue and every model whose rows go with its rows (on_delete=CASCADE, followed
    through the models, so tables added later come along), children first; and the
    relations from other models that point into them."""

    def reverse_relations(model):
        return [
            f
            for f in model._meta.get_fields(include_hidden=True)
            if f.auto_created and not f.concrete and (f.one_to_many or f.one_to_one)
        ]

    found: list = []
    seen: set = set()

    def visit(model) -> None:
        seen.add(model)
        for rel in reverse_relations(model):
            if rel.on_delete is models.CASCADE and rel.related_model not in seen:
                visit(rel.related_model)
        found.append(model)

    visit(Issue)
    outside = [rel for m in found for rel in reverse_relations(m) if rel.related_model not in seen]
    return found, outside


# --- executing: in bulk on PostgreSQL ------------------------------------------------
#
# bulk_create spends most of its time building INSERT statements in Python and most of
# PostgreSQL's time goes into the tables' many indexes and the foreign-key checks of
# every row. So on PostgreSQL bulk mode instead:
#
# - plans and formats chunks in worker processes (CopyRows: COPY's text format built
#   from the tuples of BulkWriter.story, so both paths write the same rows), while the
#   main process streams the formatted chunks with COPY, so PostgreSQL ingests one chunk
#   while the workers prepare the next ones;
# - takes ids from the tables' sequences up front (nextval), so comments, events and
#   periods point at their issue, comment and event without a round trip per row;
# - builds the search document without running the text search parser over every
#   description and comment: descriptions and comments come from small pools, so the
#   lexemes of each pooled text are asked of PostgreSQL once and put together per issue
#   exactly as to_tsvector would for the text (CopyRows.document); only the unique
#   titles are parsed per issue, as the issues go from a temporary table into theirs;
# - for large loads drops the secondary indexes and the unique and foreign-key
#   constraints of the tables it fills and builds them again at the end (one sorted
#   build is far cheaper than millions of index inserts and row-by-row FK checks);
# - does all of it in ONE transaction: if the command dies, PostgreSQL rolls back the
#   rows and the dropped indexes and constraints alike, so the schema stays exactly
#   what the migrations made.


def _copy_text(value: Any) -> str:
    """`value` as a field of COPY's text format."""
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dict | list):
        return _escape(json.dumps(value))
    if isinstance(value, dt.date):  # datetimes too
        return value.isoformat()
    if isinstance(value, str):
        return _escape(value)
    return str(value)


def _escape(text: str) -> str:
    """`text` as a field of COPY's text format (backslash escapes)."""
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.translate(_ESCAPES)
    return text


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


class _CopyTable:
    """The columns COPY writes into a model's table: those named in `names` (attnames,
    in this order, filled per row), then every other concrete column but `skip` with
    its default (as RowMaker and bulk_create give them), the same text for every row."""

    def __init__(self, model, names: str, *, skip: tuple[str, ...] = (), table: str = ""):
        fields = {f.attname: f for f in model._meta.concrete_fields}
        self.names = names.split()
        rest = [f for name, f in fields.items() if name not in self.names and name not in skip]
        self.table = table or model._meta.db_table
        self.columns = [fields[name].column for name in self.names] + [f.column for f in rest]
        self.tail = "".join("\t" + _copy_text(f.get_default()) for f in rest) + "\n"

    def copy_sql(self, extra: tuple[str, ...] = ()) -> str:
        columns = ", ".join(connection.ops.quote_name(c) for c in (*self.columns, *extra))
        return f"COPY {self.table} ({columns}) FROM STDIN"


# The issues go through a temporary table with the description and comments part of
# their search document, from which one INSERT per chunk adds the title's part.
STAGED_ISSUES = "seed_demo_issue"
# tsvector limits: positions above this one count as this one (MAXENTRYPOS - 1).
LAST_POSITION = 16383
# The advisory lock processes of a load take turns under to take ids.
ID_LOCK = 0x5EED_DE30


class _Database:
    """What formatting rows asks of PostgreSQL (through `cursor`): fresh ids, and the
    lexemes of texts."""

    MARKER = "zzqqmarkerqqzz"

    def __init__(self, cursor):
        self.cursor = cursor
        self.sequences: dict[str, str] = {}

    def reserve(self, table: str, n: int) -> range:
        """`n` fresh ids from the id sequence of `table`. The processes of a load take
        turns (an advisory lock), and the load keeps everyone else from inserting into
        the table, so nobody else takes ids meanwhile."""
        seq = self.sequences.get(table)
        if seq is None:
            self.cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            # as an SQL literal (regclass input)
            seq = self.sequences[table] = "'" + self.cursor.fetchone()[0].replace("'", "''") + "'"
        self.cursor.execute(
            f"SELECT pg_advisory_lock({ID_LOCK}); "
            f"SELECT setval({seq}, nextval({seq}) + {int(n) - 1}); "
            f"SELECT pg_advisory_unlock({ID_LOCK})"
        )
        self.cursor.nextset()
        last = self.cursor.fetchone()[0]
        return range(last - n + 1, last + 1)

    def lexemes(self, texts: list[str]) -> list[tuple[list[tuple[str, list[int]]], int]]:
        """For each text, to_tsvector's lexemes (quoted for tsvector input) with their
        positions, and how many positions the text takes up when a space and more text
        follow it (where the next text's positions start): the position of a marker
        word put after it, less one."""
        self.cursor.execute(
            """
            SELECT (SELECT coalesce(json_agg(json_build_array(v.lexeme, v.positions)), '[]')
                    FROM unnest(to_tsvector(%(config)s, t)) AS v),
                   (SELECT m.positions[1] - 1
                    FROM unnest(to_tsvector(%(config)s, t || ' ' || %(marker)s)) AS m
                    WHERE m.lexeme = %(marker)s)
            FROM unnest(%(texts)s::text[]) WITH ORDINALITY AS x(t, n) ORDER BY n
            """,
            {"config": search.CONFIG, "marker": self.MARKER, "texts": texts},
        )
        return [
            ([(_quote_lexeme(lexeme), positions) for lexeme, positions in found], span)
            for found, span in self.cursor.fetchall()
        ]


class _Ids:
    """Ids of one table for one process, reserved from its sequence a block at a time
    (what a block leaves unused when the load ends is a gap, as a rollback leaves)."""

    def __init__(self, db: _Database, table: str, block: int):
        self.db, self.table, self.block = db, table, block
        self.next, self.end = 0, 0

    def take(self) -> int:
        if self.next == self.end:
            ids = self.db.reserve(self.table, self.block)
            self.next, self.end = ids.start, ids.stop
        self.next += 1
        return self.next - 1


def _quote_lexeme(lexeme: str) -> str:
    """A lexeme as tsvector's input syntax wants it (as tsvectorout writes it)."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


class CopyRows:
    """Formats planned stories as COPY data: the sink of BulkWriter.story (so both paths
    write the same rows), formatting each row as it comes, with ids for issues,
    comments and events from their sequences (`_Ids`); the other tables' ids come from
    their defaults. Issues carry the description and comments part of their search
    document (`document`), to which the load adds the title's part."""

    def __init__(self, clock: Clock, db: _Database):
        self.writer, self.clock, self.db = BulkWriter(clock), clock, db
        self._isos: dict[int, str] = {}
        self.issue_table = _CopyTable(
            Issue,
            "id team_id number title description description_html kind priority status_id "
            "reporter_id customer_count channel due_date duplicate_of_id created_at "
            "resolved_at last_activity_at version started_at waiting_since waiting_set_by_id "
            "resume_status_id stale_reported_for stale_escalated_for follow_up_reported_for",
            skip=("search_vector",),
            table=STAGED_ISSUES,
        )
        # In the order they are written: issues first, as they go from the staging
        # table into theirs after the rest.
        self.tables = [
            self.issue_table,
            _CopyTable(Comment, "id issue_id author_id body body_html is_public created_at"),
            _CopyTable(
                IssueEvent,
                "id issue_id actor_id kind created_at from_status_id to_status_id "
                "subject_user_id comment_id data",
            ),
            _CopyTable(
                StatusPeriod,
                "issue_id team_id status_id entered_at left_at entered_by_id entered_event_id",
                skip=("id",),
            ),
            _CopyTable(Assignment, "issue_id user_id assigned_by_id assigned_at", skip=("id",)),
            _CopyTable(Issue.labels.through, "issue_id label_id", skip=("id",)),
            _CopyTable(Issue.watchers.through, "issue_id user_id", skip=("id",)),
            _CopyTable(IssueCustomer, "issue_id customer_id added_by_id added_at", skip=("id",)),
        ]
        self.tails = [t.tail for t in self.tables]
        self.tails[0] = self.tails[0][:-1]  # the document follows
        self.issue_ids = _Ids(db, Issue._meta.db_table, CHUNK)
        self.comment_ids = _Ids(db, Comment._meta.db_table, CHUNK * 6)
        self.event_ids = _Ids(db, IssueEvent._meta.db_table, CHUNK * 13)
        self._escaped: dict[str, str] = {}
        # pooled text -> its lexemes with positions, the positions it takes up, and its
        # highest position (tsvector || shifts the right side by the left's highest)
        self._lexemes: dict[str, tuple[list[tuple[str, list[int]]], int, int]] = {}
        self._pools: set = set()
        # (text, "B") -> a description's part of the document; (text, start) -> a
        # comment's part when its positions start after `start`
        self._parts: dict[tuple, str] = {}
        self._jsons: dict[int, tuple[dict, str]] = {}

    def copy_sql(self, table: _CopyTable) -> str:
        return table.copy_sql(("document",) if table is self.issue_table else ())

    def chunk(
        self, stories: list[tuple[TeamPlan, list[Step]]], numbers: dict[int, int], texts
    ) -> tuple[int, list[bytes]]:
        """COPY data for each of `self.tables` with the rows of `stories`, numbered from
        `numbers` (team id -> its next number), their texts from `texts`' pools."""
        self._learn(texts)
        self._isos.clear()
        self.numbers = dict(numbers)
        self.out: list[list[str]] = [[] for _ in self.tables]
        for tp, steps in stories:
            self.writer.story(tp, steps, self)
        return len(stories), ["".join(lines).encode() for lines in self.out]

    def _learn(self, texts: PooledTexts) -> None:
        """Escape the texts of pools not seen yet, and ask for their lexemes."""
        new: dict[str, None] = {}
        for key, pool in list(texts.pools.items()):
            if key not in self._pools:
                self._pools.add(key)
                for text, html in pool:
                    self._escaped[html] = _escape(html)
                    if text not in self._lexemes:
                        new[text] = None
        if new:
            for text, (found, span) in zip(new, self.db.lexemes(list(new)), strict=True):
                highest = max((p for _, positions in found for p in positions), default=0)
                self._lexemes[text] = (found, span, highest)
                self._escaped[text] = _escape(text)

    def iso(self, t: int) -> str:
        """Clock.iso, kept for the chunk: a time is often in several rows (an event, its
        comment, a period)."""
        text = self._isos.get(t)
        if text is None:
            text = self._isos[t] = self.clock.iso(t)
        return text

    # --- the sink of BulkWriter.story

    def begin(self) -> None:
        self.issue_id = self.issue_ids.take()
        self.bodies: list[str] = []

    def comment(self, author_id, body, html, public, t) -> int:
        comment_id = self.comment_ids.take()
        esc = self._escaped
        self.out[1].append(
            f"{comment_id}\t{self.issue_id}\t{r'\N' if author_id is None else author_id}\t"
            f"{esc[body]}\t{esc[html]}\t{'t' if public else 'f'}\t{self.iso(t)}"
            f"{self.tails[1]}"
        )
        self.bodies.append(body)
        return comment_id

    def event(self, actor_id, kind, t, from_id, to_id, subject_id, comment, data) -> int:
        event_id = self.event_ids.take()
        memo = self._jsons.get(id(data))
        if memo is not None and memo[0] is data:
            json_text = memo[1]
        else:
            json_text = _escape(json.dumps(data))
            if kind != Kind.CREATED:  # BulkWriter shares these dicts between events; the
                self._jsons[id(data)] = (data, json_text)  # memo keeps them, and their ids
        null = r"\N"
        self.out[2].append(
            f"{event_id}\t{self.issue_id}\t{null if actor_id is None else actor_id}\t{kind}\t"
            f"{self.iso(t)}\t{null if from_id is None else from_id}\t"
            f"{null if to_id is None else to_id}\t{null if subject_id is None else subject_id}\t"
            f"{null if comment is None else comment}\t{json_text}{self.tails[2]}"
        )
        return event_id

    def issue(self, tp, fields, assignments, labels, watchers, customers, periods) -> None:
        (team_id, title, description, html, kind, priority, status_id, reporter_id) = fields[:8]
        (customer_count, channel, due_date, _, created_at, resolved_at) = fields[8:14]
        last_activity_at, version, started_at, waiting_since = fields[14:18]
        waiting_set_by, resume_status, *swept = fields[18:]
        number = self.numbers[team_id]
        self.numbers[team_id] = number + 1
        issue_id, iso, esc, tails, null = self.issue_id, self.iso, self._escaped, self.tails, r"\N"
        self.out[0].append(
            f"{issue_id}\t{team_id}\t{number}\t{_escape(title)}\t{esc[description]}\t"
            f"{esc[html]}\t{kind}\t{priority}\t{status_id}\t"
            f"{null if reporter_id is None else reporter_id}\t{customer_count}\t{channel}\t"
            f"{null if due_date is None else due_date.isoformat()}\t\\N\t{iso(created_at)}\t"
            f"{null if resolved_at is None else iso(resolved_at)}\t{iso(last_activity_at)}\t"
            f"{version}\t{null if started_at is None else iso(started_at)}\t"
            f"{null if waiting_since is None else iso(waiting_since)}\t"
            f"{null if waiting_set_by is None else waiting_set_by}\t"
            f"{null if resume_status is None else resume_status}\t"
            + "\t".join(null if at is None else iso(at) for at in swept)
            + f"{tails[0]}\t{self.document(description, self.bodies)}\n"
        )
        out = self.out
        for status, entered, left, by, event in periods:
            out[3].append(
                f"{issue_id}\t{team_id}\t{status}\t{iso(entered)}\t"
                f"{null if left is None else iso(left)}\t{null if by is None else by}\t"
                f"{event}{tails[3]}"
            )
        for user_id, by, at in assignments:
            out[4].append(
                f"{issue_id}\t{user_id}\t{null if by is None else by}\t{iso(at)}{tails[4]}"
            )
        for label_id in labels:
            out[5].append(f"{issue_id}\t{label_id}{tails[5]}")
        for user_id in watchers:
            out[6].append(f"{issue_id}\t{user_id}{tails[6]}")
        for customer_id, by, at in customers:
            out[7].append(
                f"{issue_id}\t{customer_id}\t{null if by is None else by}\t{iso(at)}{tails[7]}"
            )

    def document(self, description: str, bodies: list[str]) -> str:
        """tsvector input (escaped for COPY) for setweight(to_tsvector(description), 'B')
        || setweight(to_tsvector(the bodies joined by spaces), 'C'), from the lexemes of
        each text: the parser numbers the words of joined texts on from where the
        previous text ended, and `||` shifts its right side by the left side's highest
        position. tsvector input merges a lexeme written more than once."""
        lexemes, parts = self._lexemes, self._parts
        found, _, shift = lexemes[description]
        text = parts.get((description, "B"))
        if text is None:
            text = parts[description, "B"] = _escape(
                " ".join(f"{lx}:{','.join(f'{p}B' for p in ps)}" for lx, ps in found)
            )
        document = [text] if text else []
        start = shift  # where the next comment's positions start
        for body in bodies:
            found, span, _ = lexemes[body]
            text = parts.get((body, start))
            if text is None:
                # Positions stop at LAST_POSITION (a document of over 16,000 words).
                text = parts[body, start] = _escape(
                    " ".join(
                        f"{lx}:{','.join(f'{min(start + p, LAST_POSITION)}C' for p in ps)}"
                        for lx, ps in found
                    )
                )
            if text:
                document.append(text)
            start += span
        return " ".join(document)


# Per worker process: its connection (for ids and lexemes only) and CopyRows, by run.
_WORKER: dict[str, Any] = {}


def _copy_chunk(
    plan: BulkPlan, task: tuple[int, list[float], list[int]], numbers: dict[int, int], db: dict
) -> tuple[int, list[bytes]]:
    """In a worker process: plan one chunk and format its rows (CopyRows.chunk), asking
    the database through the worker's own connection."""
    import psycopg

    if _WORKER.get("seed") != plan.seed:
        if _WORKER.get("connection") is not None:
            _WORKER["connection"].close()
        conn = psycopg.connect(**db, autocommit=True)
        rows = CopyRows(plan.clock, _Database(conn.cursor()))
        _WORKER.update(seed=plan.seed, connection=conn, rows=rows)
    stories = plan.stories(*task)
    return _WORKER["rows"].chunk(stories, numbers, _TEXTS[plan.seed])


def _set_local(cursor, name: str, value: str) -> tuple[str, str]:
    """SET LOCAL `name` to `value`; returns (name, the value before)."""
    cursor.execute("SELECT current_setting(%s), set_config(%s, %s, true)", [name, name, value])
    return name, cursor.fetchone()[0]


def _may_skip_triggers(cursor) -> bool:
    """Whether this session may set session_replication_role (superusers only)."""
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    return bool(cursor.fetchone()[0])


def _secondary_schema(cursor, tables: list[str], *, foreign_keys: bool) -> list[tuple[str, str]]:
    """(drop, create) statements for the unique constraints (and foreign keys, if
    `foreign_keys`) and the indexes of `tables` but their primary keys, in an order they
    can be dropped in (and created in the reverse order), as the catalog has them."""
    cursor.execute(
        """
        SELECT format('ALTER TABLE %%s DROP CONSTRAINT %%I', c.conrelid::regclass, c.conname),
               format('ALTER TABLE %%s ADD CONSTRAINT %%I %%s', c.conrelid::regclass,
                      c.conname, pg_get_constraintdef(c.oid))
        FROM pg_constraint AS c
        WHERE c.conrelid = ANY(%s::regclass[]) AND c.contype::text = ANY(%s::text[])
        ORDER BY c.contype, c.conrelid::regclass::text, c.conname
        """,
        [tables, ["f", "u"] if foreign_keys else ["u"]],
    )
    statements = list(cursor.fetchall())
    cursor.execute(
        """
        SELECT format('DROP INDEX %%s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid)
        FROM pg_index AS i
        WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
          AND NOT EXISTS (SELECT FROM pg_constraint AS c
                          WHERE c.conrelid = i.indrelid AND c.conindid = i.indexrelid)
        ORDER BY i.indrelid::regclass::text, i.indexrelid::regclass::text
        """,
        [tables],
    )
    return statements + list(cursor.fetchall())


class CopyLoad:
    """Writes a bulk load on PostgreSQL (see above) in one transaction."""

    def __init__(self, plan: BulkPlan, *, rebuild: bool, workers: int, log, disable):
        self.plan, self.rebuild, self.workers = plan, rebuild, workers
        self.log, self.disable = log, disable

    def run(self, tasks: list[tuple[int, list[float], list[int]]], count: int) -> None:
        with transaction.atomic(), connection.cursor() as wrapper:
            cursor = wrapper.cursor  # psycopg's, for COPY
            rows = self.rows = CopyRows(self.plan.clock, _Database(cursor))
            tables = [t.table for t in rows.tables[1:]] + [Issue._meta.db_table]
            # Settings changed for this transaction only, and put back when the load is
            # done (a caller's transaction may go on after it: `atomic` is a savepoint).
            restore = []
            # As services.create_issue: the teams' rows stay locked until the load
            # commits, so issues filed meanwhile wait and numbers stay gap-free.
            numbers = dict(
                Team.objects.select_for_update()
                .filter(pk__in=[tp.team.pk for tp in self.plan.teams])
                .order_by("pk")
                .values_list("pk", "next_number")
            )
            # No other writer meanwhile: ids are taken from the sequences in ranges.
            cursor.execute(f"LOCK TABLE {', '.join(tables)} IN SHARE ROW EXCLUSIVE MODE")
            # Checking the foreign keys of every row would cost more than writing it. A
            # superuser may switch their triggers off for this transaction (as pg_restore
            # --disable-triggers): the rows point only at rows the load read or wrote
            # itself (tests check every foreign key after a load). Otherwise large loads
            # drop the foreign keys and add them back, which checks them all at once.
            fk_checks = not _may_skip_triggers(cursor)
            if not fk_checks:
                restore.append(_set_local(cursor, "session_replication_role", "replica"))
            schema = []
            if self.rebuild:
                schema = _secondary_schema(cursor, tables, foreign_keys=fk_checks)
            if schema:
                # ALTER TABLE refuses tables with foreign-key checks still pending (rows
                # a caller's transaction wrote): run them now. (Django's are all
                # DEFERRABLE INITIALLY DEFERRED, which the second SET puts back.)
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED")
            for drop, _ in schema:
                cursor.execute(drop)
            columns = ", ".join(rows.issue_table.columns)
            cursor.execute(
                f"CREATE TEMPORARY TABLE {STAGED_ISSUES} ON COMMIT DROP AS "  # noqa: S608  # nosec B608
                f"SELECT {columns}, search_vector AS document FROM issues_issue WITH NO DATA"
            )
            insert = (
                f"INSERT INTO issues_issue ({columns}, search_vector) "  # noqa: S608  # nosec B608
                f"SELECT {columns}, {search.weighted_sql('title', 'A')} || document "
                f"FROM {STAGED_ISSUES}"
            )
            started = time.monotonic()
            with tqdm(
                total=count, desc="issues", unit="issue", file=sys.stderr, disable=self.disable
            ) as bar:
                # Where the time goes (-v 3): waiting for the workers, or for COPY
                # and INSERT (the database).
                spent = dict.fromkeys(["waiting", *(t.table for t in rows.tables), "insert"], 0.0)
                clock = time.monotonic()
                for n, data in self._chunks(tasks, numbers, cursor):
                    spent["waiting"] += time.monotonic() - clock
                    for table, payload in zip(rows.tables, data, strict=True):
                        clock = time.monotonic()
                        if payload:
                            with cursor.copy(rows.copy_sql(table)) as copy:
                                copy.write(payload)
                        spent[table.table] += time.monotonic() - clock
                    clock = time.monotonic()
                    cursor.execute(insert)
                    cursor.execute(f"TRUNCATE {STAGED_ISSUES}")
                    spent["insert"] += time.monotonic() - clock
                    bar.update(n)
                    clock = time.monotonic()
                self.log(", ".join(f"{k} {v:.1f} s" for k, v in spent.items()), verbosity=3)
            cursor.execute(f"DROP TABLE {STAGED_ISSUES}")  # (ON COMMIT: not in a savepoint)
            self.log(f"Rows written in {time.monotonic() - started:.1f} s.")
            for team_id, next_number in numbers.items():
                Team.objects.filter(pk=team_id).update(next_number=next_number)
            if schema:
                restore.append(_set_local(cursor, "maintenance_work_mem", MAINTENANCE_WORK_MEM))
                self._restore(cursor, schema, tables)
            for name, value in restore:
                _set_local(cursor, name, value)

    def _chunks(self, tasks, numbers: dict[int, int], cursor):
        """(issues, COPY data) per chunk, in order; advances `numbers` past them."""
        team_ids = [tp.team.pk for tp in self.plan.teams]

        def with_numbers():
            for task in tasks:
                first = dict(numbers)
                for t in task[2]:
                    numbers[team_ids[t]] += 1
                yield task, first

        if not self.workers:
            for task, first in with_numbers():
                stories = self.plan.stories(*task)
                yield self.rows.chunk(stories, first, _TEXTS[self.plan.seed])
            return
        params = {
            key: value
            for key, value in connection.get_connection_params().items()
            if isinstance(value, str | int)
        }
        context = multiprocessing.get_context("spawn")
        with context.Pool(self.workers, initializer=django.setup) as pool:
            pending: deque = deque()
            for task, first in with_numbers():
                pending.append(pool.apply_async(_copy_chunk, (self.plan, task, first, params)))
                if len(pending) > 2 * self.workers:
                    yield pending.popleft().get()
            while pending:
                yield pending.popleft().get()

    def _restore(self, cursor, schema: list[tuple[str, str]], tables: list[str]) -> None:
        started = time.monotonic()
        for _, create in tqdm(
            schema[::-1], desc="indexes", unit="index", file=sys.stderr, disable=self.disable
        ):
            at = time.monotonic()
            cursor.execute(create)
            self.log(f"  {time.monotonic() - at:6.1f} s  {create}", verbosity=3)
        cursor.execute(f"ANALYZE {', '.join(tables)}")
        self.log(
            f"Indexes and constraints rebuilt in {time.monotonic() - started:.1f} s.",
        )


# --- the command -------------------------------------------------------------------


class Command(BaseCommand):
    help = (
        "Seed a demo installation through the services (teams, people, customers, labels, "
        "~300 issues with history), or add --issues N in bulk for benchmarks."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="delete all issues, teams, customers and demo users first",
        )
        parser.add_argument(
            "--issues",
            type=int,
            metavar="N",
            help="bulk mode: add N issues with history to the existing teams (fast, for "
            "benchmarks); creates the base installation first on an empty database",
        )
        parser.add_argument(
            "--small", action="store_true", help=f"only {SMALL_ISSUES} issues (for tests)"
        )
        parser.add_argument(
            "--progress",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="show a progress bar on stderr (default: when stderr is a terminal)",
        )

    def handle(self, *args, seed, reset, issues, small, progress, **options):
        started = time.monotonic()
        self.verbosity = options["verbosity"]
        if issues is not None and issues < 0:
            raise CommandError("--issues must be zero or more.")
        if issues is not None and small:
            raise CommandError("--small is for the default mode; --issues sets the size.")
        disable = None if progress is None else not progress  # None: tqdm checks for a TTY
        if reset:
            self._reset()
        elif issues is None and Team.objects.exists():
            self.stdout.write(
                f"Demo data already present: {Team.objects.count()} teams, "
                f"{Issue.objects.count()} issues. Nothing to do; use --reset to start over."
            )
            return

        rng = random.Random(seed)
        clock = Clock(timezone.now(), HISTORY_DAYS)
        logins = []
        with services.events_unpublished():
            if issues is None:
                # All or nothing: a half-seeded database would look "already present".
                with transaction.atomic():
                    logins = self._create_base(
                        rng, clock, teams=4, users=0, customers=DEMO_CUSTOMERS
                    )
                    count = SMALL_ISSUES if small else DEMO_ISSUES
                    self._seed_with_services(rng, clock, count, disable)
            else:
                if not Team.objects.exists():
                    with transaction.atomic():
                        logins = self._create_base(
                            rng,
                            clock,
                            teams=BULK_TEAMS,
                            users=BULK_USERS,
                            customers=BULK_CUSTOMERS,
                        )
                self._seed_in_bulk(rng, clock, issues, disable)
        self._report(logins, time.monotonic() - started)

    # --- reset ---------------------------------------------------------------------

    def _reset(self) -> None:
        issue_models, outside = _issue_models()
        tables = [connection.ops.quote_name(model._meta.db_table) for model in issue_models]
        with transaction.atomic():
            for rel in outside:
                if rel.on_delete is not models.SET_NULL:
                    name = f"{rel.related_model.__name__}.{rel.field.name}"
                    raise CommandError(f"{name} keeps issues from being deleted.")
                rel.related_model._base_manager.filter(
                    **{f"{rel.field.name}__isnull": False}
                ).update(**{rel.field.name: None})
            # Without the ORM, which would load every row to emulate cascades. On
            # PostgreSQL TRUNCATE, as DELETE checks the foreign keys row by row.
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql" and not outside:
                    # TRUNCATE refuses tables with deferred FK checks still pending
                    # (rows written earlier in the same transaction): run them now.
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                    cursor.execute(f"TRUNCATE {', '.join(tables)}")
                else:
                    for table in tables:
                        cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (a model's table)  # nosec B608
            for model in (Label, Status, Membership, Team, Customer, Organization):
                model.objects.all().delete()
            User.objects.filter(
                is_superuser=False, email__iendswith=f"@{demo_data.DEMO_DOMAIN}"
            ).delete()
        self.stdout.write("Deleted all issues, teams, customers and demo users.")

    # --- base installation -----------------------------------------------------------

    def _create_base(self, rng, clock, *, teams: int, users: int, customers: int) -> list:
        """Teams with their workflow and labels, people in every role, customers.

        Returns the login table: (username, roles, password)."""
        founded = clock.start - dt.timedelta(days=30)
        hashed = make_password(demo_data.DEMO_PASSWORD)  # once: hashing is slow on purpose
        fresh: list[int] = []

        admin = User.objects.filter(username="admin").first()
        if admin is None:
            admin = User.objects.create_superuser(
                "admin",
                f"admin@{demo_data.DEMO_DOMAIN}",
                None,
                display_name="Site admin",
                date_joined=founded,
            )
            fresh.append(admin.pk)

        created_teams = {}
        for key, name, description, _ in demo_data.TEAMS[:teams]:
            team = services.create_team(key=key, name=name, actor=admin, now=founded)
            Team.objects.filter(pk=team.pk).update(description=description)
            created_teams[key] = team
            Label.objects.bulk_create(
                Label(team=team, name=n, color=c, description=d)
                for n, c, d in demo_data.LABELS.get(key, demo_data.GENERIC_LABELS)
            )
        # create_team stamps the admin's memberships with the real time, not `now`.
        Membership.objects.filter(user=admin, team__in=created_teams.values()).update(
            created_at=founded
        )

        people = list(demo_data.PEOPLE)
        taken = {p[0] for p in people}
        while len(people) + 1 < users:
            first, last = rng.choice(demo_data.FIRST_NAMES), rng.choice(demo_data.LAST_NAMES)
            username = re.sub(r"[^a-z]", "", f"{first}{last[0]}".lower())
            while username in taken:
                username += str(rng.randint(0, 9))
            taken.add(username)
            keys = rng.sample(list(created_teams), k=rng.choice([1, 1, 2]))
            roles = {k: demo_data.pick(rng, GENERATED_ROLES) for k in keys}
            people.append((username, first, last, roles))

        logins = [("admin", "superuser, admin of every team", "demo" if fresh else "(unchanged)")]
        memberships = []
        for i, (username, first, last, roles) in enumerate(people):
            roles = {k: r for k, r in roles.items() if k in created_teams}
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User.objects.create_user(
                    username,
                    f"{username}@{demo_data.DEMO_DOMAIN}",
                    None,
                    first_name=first,
                    last_name=last,
                    display_name=f"{first} {last}",
                    date_joined=founded + dt.timedelta(hours=i),
                )
                fresh.append(user.pk)
            memberships.extend(
                Membership(user=user, team=created_teams[k], role=r, created_at=founded)
                for k, r in roles.items()
            )
            logins.append(
                (
                    username,
                    ", ".join(f"{k} {r}" for k, r in roles.items()) or "-",
                    "demo" if user.pk in fresh else "(unchanged)",
                )
            )
        Membership.objects.bulk_create(memberships)
        User.objects.filter(pk__in=fresh).update(password=hashed)
        # Labels and members were written in bulk, which sends no signal.
        pickers.changed(team.pk for team in created_teams.values())

        existing = set(Customer.objects.annotate(e=Lower("email")).values_list("e", flat=True))
        orgs = {o.name.lower(): o for o in Organization.objects.all()}
        missing = [
            Organization(name=name, created_at=founded)
            for name in demo_data.ORGANIZATIONS
            if name.lower() not in orgs
        ]
        for org in Organization.objects.bulk_create(missing):
            orgs[org.name.lower()] = org
        rows = []
        for i in range(customers):
            first, last = rng.choice(demo_data.FIRST_NAMES), rng.choice(demo_data.LAST_NAMES)
            org = demo_data.ORGANIZATIONS[i % len(demo_data.ORGANIZATIONS)]
            domain = re.sub(r"[^a-z]", "", org.lower().split()[0]) + ".example"
            local = re.sub(r"[^a-z.]", "", f"{first}.{last}".lower())
            email, n = f"{local}@{domain}", 1
            while email in existing:
                n += 1
                email = f"{local}{n}@{domain}"
            existing.add(email)
            rows.append(
                Customer(
                    name=f"{first} {last}",
                    email=email,
                    organization=orgs[org.lower()],
                    phone=f"+1 555 01{rng.randint(10, 99)}",
                    created_at=founded + dt.timedelta(days=rng.uniform(0, 60)),
                )
            )
        Customer.objects.bulk_create(rows)
        return logins

    # --- issues ------------------------------------------------------------------------

    def _seed_with_services(self, rng, clock, count: int, disable) -> None:
        plans_by_team = team_plans(list(Team.objects.order_by("pk")))
        customers = list(Customer.objects.order_by("pk"))
        planner = Planner(rng, clock, FreshTexts(), customers, rich=True)
        plans = []
        for v in creation_hours(rng, count, clock.span):
            tp = pick_team(rng, plans_by_team)
            plans.append((tp, planner.plan(tp, v)))
            tp.planned.append(len(plans) - 1)
        replay_through_services(plans, clock, disable)

    def _seed_in_bulk(self, rng, clock, count: int, disable) -> None:
        plans_by_team = team_plans(list(Team.objects.order_by("pk")))
        if not plans_by_team:
            raise CommandError("No team has statuses to put issues in.")
        customers = list(Customer.objects.order_by("pk")[:1000])
        hours = creation_hours(rng, count, clock.span)
        weights = [tp.weight for tp in plans_by_team]
        picks = rng.choices(range(len(plans_by_team)), weights=weights, k=count)
        plan = BulkPlan(rng.getrandbits(64), clock, plans_by_team, customers)
        tasks = [
            (k, hours[start : start + CHUNK], picks[start : start + CHUNK])
            for k, start in enumerate(range(0, count, CHUNK))
        ]
        if connection.vendor == "postgresql":
            rebuild = count >= REBUILD_FROM and count >= Issue.objects.count()
            workers = (os.cpu_count() or 1) if len(tasks) >= PARALLEL_FROM else 0
            load = CopyLoad(plan, rebuild=rebuild, workers=workers, log=self._log, disable=disable)
            load.run(tasks, count)
            return
        writer = BulkWriter(clock)
        with tqdm(
            total=count, desc="issues", unit="issue", file=sys.stderr, disable=disable
        ) as bar:
            for task in tasks:
                writer.write_chunk(plan.stories(*task))
                bar.update(len(task[1]))

    def _log(self, message: str, verbosity: int = 2) -> None:
        if self.verbosity >= verbosity:
            self.stdout.write(message)

    # --- output ------------------------------------------------------------------------

    def _report(self, logins: list, elapsed: float) -> None:
        if logins:
            width = max(len("username"), *(len(u) for u, _, _ in logins))
            roles_width = max(len(r) for _, r, _ in logins)
            self.stdout.write(self.style.MIGRATE_HEADING("\nLogins"))
            self.stdout.write(f"  {'username':<{width}}  {'role(s)':<{roles_width}}  password")
            for username, roles, password in logins:
                self.stdout.write(f"  {username:<{width}}  {roles:<{roles_width}}  {password}")
        counts = {
            "teams": Team.objects.count(),
            "users": User.objects.count(),
            "customers": Customer.objects.count(),
            "issues": Issue.objects.count(),
            "comments": Comment.objects.count(),
            "events": IssueEvent.objects.count(),
        }
        summary = ", ".join(f"{n:,} {name}" for name, n in counts.items())
        self.stdout.write(self.style.SUCCESS(f"\nThe database now has {summary}."))
        self.stdout.write(f"Done in {elapsed:.1f} s.")
