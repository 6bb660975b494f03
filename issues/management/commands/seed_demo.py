"""Fill the database with a believable installation: for demos, or big for benchmarks.

    manage.py seed_demo                  4 teams, 24 people, customers, labels and ~300
                                         issues with six months of history
    manage.py seed_demo --reset          delete the demo data first, then seed anew
    manage.py seed_demo --issues 100000  add issues in bulk (benchmarks); creates the base
                                         installation (5 teams, 50 people) on an empty DB

The default mode writes every issue change through issues/services.py with
historical `now=` values, so the timeline is exactly what the app would have
recorded. Bulk mode would take hours that way, so it writes the same rows with
bulk_create; `BulkWriter` mirrors what each service writes (event kinds, data,
version, last_activity_at, resolved_at, watchers), so pages, reports and the stale
sweep cannot tell the difference.

Every issue's story is planned in "virtual hours" from one `random.Random(seed)`,
then mapped onto real times between six months ago and now with office hours
busier than nights and weekends. The same seed therefore gives the same titles,
numbers and event kinds whenever the command runs.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import math
import random
import re
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

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
from issues import demo_data, markdown, search, services
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
)

User = get_user_model()
Kind = IssueEvent.Kind
Priority = Issue.Priority

HISTORY_DAYS = 182
DEMO_ISSUES = 300
SMALL_ISSUES = 60
DEMO_CUSTOMERS = 40
BULK_TEAMS = 5
BULK_USERS = 50
BULK_CUSTOMERS = 200
# Bulk mode: issues per transaction, and rows per INSERT statement.
CHUNK = 2_000
BATCH = 5_000

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
    most activity lands in office hours. Monotonic: later virtual, later real.
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

    def at(self, v: float) -> dt.datetime:
        target = min(max(v, 0.0), self.span) * self._scale
        k = min(bisect.bisect_right(self._weights, target) - 1, len(self._rates) - 1)
        seconds = self._edges[k] + (target - self._weights[k]) / self._rates[k]
        return self.start + dt.timedelta(seconds=min(seconds, self._edges[-1]))


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
    which is what keeps the events' empty `mentions` true."""

    POOL = 24

    def __init__(self, rng: random.Random):
        self.rng = random.Random(rng.getrandbits(64))
        self.descriptions: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self.comments: dict[tuple[str, str], list[tuple[str, str]]] = {}

    def _pool(self, cache, key, make):
        if key not in cache:
            texts = [make() for _ in range(self.POOL)]
            cache[key] = [(text, markdown.render(text)) for text in texts]
        return cache[key]

    def issue(self, rng, team_key, kind, customer):
        pool = self._pool(
            self.descriptions,
            (team_key, kind),
            lambda: demo_data.description(self.rng, kind, team_key),
        )
        return demo_data.title(rng, kind, team_key), *rng.choice(pool)

    def comment(self, rng, team_key, situation, customer, mentions):
        pool = self._pool(
            self.comments,
            (team_key, situation),
            lambda: demo_data.comment(self.rng, situation, team_key),
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
        if status is not None and status != self.status:
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
        free = [lb for lb in tp.labels if lb not in current]
        hinted = [lb for lb in free if lb.name in demo_data.KIND_LABELS.get(kind, ())]
        chosen = [rng.choice(hinted)] if hinted and rng.random() < 0.7 else []
        if free and (not chosen or rng.random() < 0.3):
            extra = rng.choice(free)
            if extra not in chosen:
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
        triage_on_create = reporter is not None and reporter in tp.triagers
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


# --- executing: through the services -------------------------------------------------


def replay_through_services(
    plans: list[tuple[TeamPlan, list[Step]]], clock: Clock, disable: bool | None = True
) -> None:
    """Replay every step through issues/services.py in time order."""
    order = sorted(
        (step[0], i, k) for i, (_, steps) in enumerate(plans) for k, step in enumerate(steps)
    )
    issues: dict[int, Issue] = {}
    for v, i, k in tqdm(order, desc="history", unit="step", file=sys.stderr, disable=disable):
        tp, steps = plans[i]
        _, op, actor, args = steps[k]
        now = clock.at(v)
        if op == "create":
            args = {key: value for key, value in args.items() if key != "html"}
            issues[i] = services.create_issue(tp.team, actor=actor, now=now, **args)
            continue
        issue = issues[i]
        if op == "comment":
            services.add_comment(
                issue, body=args["body"], public=args["public"], actor=actor, now=now
            )
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
            "last_activity_at version",
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
        self.label_link = RowMaker(Issue.labels.through, "issue_id label_id")
        self.watcher_link = RowMaker(Issue.watchers.through, "issue_id user_id")
        self.customer_link = RowMaker(IssueCustomer, "issue_id customer_id added_by_id added_at")

    def story(self, tp: TeamPlan, steps: list[Step]):
        """The rows of one story, as plain tuples: the issue's fields, then its comments,
        events (pointing at comments by index), assignments, label and watcher ids."""
        at = self.clock.at
        v0, _, reporter, a = steps[0]
        t0 = at(v0)
        status = tp.statuses["new"]
        reporter_id = reporter.pk if reporter else None
        # customer id -> (customer id, added by, added at), as services.add_customer writes
        customers = {a["customer"].pk: (a["customer"].pk, reporter_id, t0)} if a["customer"] else {}
        priority = int(a["priority"])
        events = [
            (
                reporter_id,
                Kind.CREATED,
                t0,
                None,
                status.pk,
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
        ]
        label_ids = [label.pk for label in a["labels"]]
        watcher_ids = {reporter_id} if reporter_id else set()
        assignments: dict[int, tuple] = {}
        comments: list[tuple] = []
        resolved_at, last_activity, version = None, t0, 1
        for v, op, actor, args in steps[1:]:
            t = at(v)
            actor_id = actor.pk if actor else None
            if op == "comment":
                public = args["public"]
                events.append(
                    (
                        actor_id,
                        Kind.COMMENTED,
                        t,
                        None,
                        None,
                        None,
                        len(comments),
                        {"public": public, "mentions": []},
                    )
                )
                comments.append((actor_id, args["body"], args["html"], public, t))
                if actor_id:
                    watcher_ids.add(actor_id)
            elif op == "status":
                to = args["to"]
                if to.pk == status.pk:
                    continue
                data = {"from": status.name, "to": to.name}
                if status.is_closed and not to.is_closed:
                    data["reopened"] = True
                events.append(
                    (actor_id, Kind.STATUS_CHANGED, t, status.pk, to.pk, None, None, data)
                )
                resolved_at = (resolved_at or t) if to.is_closed else None
                status = to
            elif op in {"assign", "unassign"}:
                user = args["user"]
                if op == "assign":
                    if user.pk in assignments:
                        continue
                    assignments[user.pk] = (user.pk, actor_id, t)
                    watcher_ids.add(user.pk)
                elif assignments.pop(user.pk, None) is None:
                    continue
                kind = Kind.ASSIGNED if op == "assign" else Kind.UNASSIGNED
                events.append(
                    (actor_id, kind, t, None, None, user.pk, None, {"user": user.username})
                )
            elif op == "label":
                label = args["label"]
                if label.pk in label_ids:
                    continue
                label_ids.append(label.pk)
                data = {"label": label.name, "label_id": label.pk}
                events.append((actor_id, Kind.LABELED, t, None, None, None, None, data))
            elif op == "priority":
                new = int(args["priority"])
                if new == priority:
                    continue
                data = {"from": priority, "to": new}
                events.append((actor_id, Kind.PRIORITY_CHANGED, t, None, None, None, None, data))
                priority = new
            elif op == "customer":
                new = args["customer"]
                if new.pk in customers:
                    continue
                data = {"customer_id": new.pk, "name": new.name}
                events.append((actor_id, Kind.CUSTOMER_LINKED, t, None, None, None, None, data))
                customers[new.pk] = (new.pk, actor_id, t)
            else:
                raise AssertionError(f"bulk mode cannot write {op!r}")
            version += 1
            last_activity = max(last_activity, t)
        issue = (
            tp.team.pk,
            None,  # the number, taken when the chunk is written
            a["title"],
            a["description"],
            a["html"],
            a["kind"],
            priority,
            status.pk,
            reporter_id,
            len(customers),
            a["channel"],
            a["due_date"],
            None,
            t0,
            resolved_at,
            last_activity,
            version,
        )
        return (
            issue,
            comments,
            events,
            list(assignments.values()),
            label_ids,
            watcher_ids,
            list(customers.values()),
        )

    def build(self, chunk: list[tuple[TeamPlan, list[Step]]]) -> _Chunk:
        """Unsaved instances for a chunk of stories; `write` fills in numbers and ids."""
        built = _Chunk()
        for tp, steps in chunk:
            row, comments, events, assignments, labels, watchers, customers = self.story(tp, steps)
            built.teams.append(tp)
            built.issues.append(self.issue(*row))
            built.comments.append([self.comment(None, *c, None) for c in comments])
            built.events.append([(self.event(None, *e[:6], None, e[7]), e[6]) for e in events])
            built.others.append(
                [self.assignment(None, *a) for a in assignments]
                + [self.label_link(None, pk) for pk in labels]
                + [self.watcher_link(None, pk) for pk in watchers]
                + [self.customer_link(None, *c) for c in customers]
            )
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
            for model, rows in others.items():
                model.objects.bulk_create(rows, batch_size=BATCH)
            search.reindex([issue.pk for issue in built.issues])
            for team_id, next_number in numbers.items():
                Team.objects.filter(pk=team_id).update(next_number=next_number)
        for tp in built.teams:
            tp.team.next_number = numbers[tp.team.pk]

    def write_chunk(self, chunk: list[tuple[TeamPlan, list[Step]]]) -> None:
        self.write(self.build(chunk))


@dataclass
class _Chunk:
    """Per issue: its team, the issue, its comments, its events (with the index of
    their comment) and its other rows (assignments, label and watcher links)."""

    teams: list[TeamPlan] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    comments: list[list[Comment]] = field(default_factory=list)
    events: list[list[tuple[IssueEvent, int | None]]] = field(default_factory=list)
    others: list[list] = field(default_factory=list)


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
                        cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (a model's table)
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
        planner = Planner(rng, clock, PooledTexts(rng), customers, rich=False)
        writer = BulkWriter(clock)
        hours = creation_hours(rng, count, clock.span)
        with tqdm(
            total=count, desc="issues", unit="issue", file=sys.stderr, disable=disable
        ) as bar:
            for start in range(0, count, CHUNK):
                chunk = []
                for v in hours[start : start + CHUNK]:
                    tp = pick_team(rng, plans_by_team)
                    chunk.append((tp, planner.plan(tp, v)))
                writer.write_chunk(chunk)
                bar.update(len(chunk))

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
