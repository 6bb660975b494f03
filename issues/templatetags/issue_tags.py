from html import escape as _html_escape

from django import template
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import mark_safe

from issues import humane
from issues.models import Issue, IssueEvent, key_url_parts

register = template.Library()
Kind = IssueEvent.Kind

_PRIORITY = dict(Issue.Priority.choices)


def _priority(value) -> str:
    return _PRIORITY.get(value, str(value))


@register.simple_tag
def event_text(event: IssueEvent) -> str:
    """One timeline line after the actor's name, escaped: "changed the status from New to
    Triaged". Uses only the event's own row and its select_related relations."""
    data = event.data or {}
    k = event.kind
    if k == Kind.CREATED:
        if data.get("follow_up_of"):
            return format_html("created the issue, a follow-up to <b>{}</b>", data["follow_up_of"])
        return "created the issue"
    if k == Kind.STATUS_CHANGED:
        verb = "reopened the issue:" if data.get("reopened") else "changed the status"
        text = format_html("{} from <b>{}</b> to <b>{}</b>", verb, data.get("from"), data.get("to"))
        if data.get("customer_replied"):
            return format_html("{} (the customer replied)", text)
        return text
    if k == Kind.PRIORITY_CHANGED:
        return format_html(
            "changed the priority from <b>{}</b> to <b>{}</b>",
            _priority(data.get("from")),
            _priority(data.get("to")),
        )
    if k in {Kind.ASSIGNED, Kind.UNASSIGNED}:
        who = event.subject_user.name if event.subject_user else data.get("user")
        if event.subject_user_id and event.subject_user_id == event.actor_id:
            return "self-assigned" if k == Kind.ASSIGNED else "unassigned themselves"
        return format_html("{} <b>{}</b>", "assigned" if k == Kind.ASSIGNED else "unassigned", who)
    if k in {Kind.LABELED, Kind.UNLABELED}:
        verb = "added the label" if k == Kind.LABELED else "removed the label"
        return format_html("{} <b>{}</b>", verb, data.get("label"))
    if k in {Kind.TITLE_CHANGED, Kind.KIND_CHANGED, Kind.CHANNEL_CHANGED, Kind.DUE_DATE_CHANGED}:
        what = {
            Kind.TITLE_CHANGED: "title",
            Kind.KIND_CHANGED: "kind",
            Kind.CHANNEL_CHANGED: "channel",
            Kind.DUE_DATE_CHANGED: "due date",
        }[k]
        return format_html(
            "changed the {} from <b>{}</b> to <b>{}</b>",
            what,
            data.get("from") or "none",
            data.get("to") or "none",
        )
    if k == Kind.CUSTOMER_LINKED:
        return format_html("added the affected customer <b>{}</b>", data.get("name"))
    if k == Kind.CUSTOMER_UNLINKED:
        # "from" is what events written before issues had several customers carry.
        return format_html(
            "removed the affected customer <b>{}</b>", data.get("name") or data.get("from")
        )
    if k == Kind.MARKED_DUPLICATE:
        return format_html("marked this as a duplicate of <b>{}</b>", data.get("duplicate_of"))
    if k == Kind.UNMARKED_DUPLICATE:
        return format_html("unmarked this as a duplicate of <b>{}</b>", data.get("from"))
    if k == Kind.CUSTOMER_EMAILS_CHANGED:
        verb = "turned on" if data.get("enabled") else "turned off"
        return format_html("{} emails to <b>{}</b>", verb, data.get("name"))
    if k == Kind.FOLLOW_UP_DUE:
        return format_html(
            "follow-up due: waiting on the customer for <b>{} days</b>", data.get("quiet_days")
        )
    if k == Kind.ATTACHMENT_ADDED:
        return format_html("attached <b>{}</b>", data.get("filename"))
    if k == Kind.ATTACHMENT_REMOVED:
        return format_html("removed the attachment <b>{}</b>", data.get("filename"))
    return event.get_kind_display()


@register.filter
def duration(seconds) -> str:
    """Seconds as the two largest units a person reads: "3 d 4 h", "2 h 5 min", "40 s"."""
    if seconds is None or seconds == "":
        return "—"
    total = round(float(seconds))
    days, rest = divmod(total, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


@register.filter
def filesize(size: int) -> str:
    """1536 -> "1.5 KB"."""
    from issues.attachments import human_size

    return human_size(int(size or 0))


def _e(value) -> str:
    """Django's `escape` (html.escape with quotes) without its lazy-string wrapper: the
    row tag below escapes some 20 values per row."""
    return _html_escape(str(value))


def _built(html: str) -> str:
    """Markup built by this module's tags, marked safe: every value in it went through
    `_e` or `_ce` (or is a number or a constant)."""
    return mark_safe(html)  # noqa: S308  # nosec B308 B703


_NOBODY = '<span class="muted">\u2014</span>'


@register.simple_tag
def issue_rows(issues, triage: bool) -> str:
    """The rows of the team list (`issue_row` each), or the row that says none match:
    one call per page, with the clock and the zone read once."""
    if not issues:
        return mark_safe(  # a constant  # nosec B308
            '<tr><td colspan="8" class="empty">No issues match these filters.</td></tr>'
        )
    now, zone = timezone.now(), timezone.get_current_timezone()
    return _built("".join(issue_row(i, triage, now, zone) for i in issues))


def issue_row(issue: Issue, triage: bool, now, zone) -> str:
    """One row of the team list. The list is the page people open most, and its 50 rows
    were most of its CPU as template code (some 25 values per row, each resolved,
    localised and escaped on its own), then still a third of it through format_html;
    built as one string here, each value escaped by `_e`, they cost a fraction. Same
    markup as the template had; `triage` adds the checkbox. tests/issues/test_pages.py
    and tests/e2e/test_xss.py hold the escaping of every text shown."""
    key = _e(issue.key)
    url = _e(issue.get_absolute_url())
    created = issue.created_at.astimezone(zone)
    active = issue.last_activity_at.astimezone(zone)
    status = issue.status
    count = issue.customer_count
    select = (
        f'<td class="sel"><input type="checkbox" name="issues" value="{key}" form="bulk" '
        f'aria-label="Select {key}"></td>'
        if triage
        else ""
    )
    stale = (
        f'<span class="stale" title="No activity for longer than {_e(status.name)} allows">'
        "Stale</span>"
        if issue.is_stale
        else ""
    )
    labels, people = _labels_and_people(issue)
    assignees = people or _NOBODY
    customers = (
        f'<span title="{count} affected customer{"" if count == 1 else "s"}">{count}</span>'
        if count
        else _NOBODY
    )
    # Every value in the row went through _e (or is a number we formatted).
    return (
        f'<tr data-row data-href="{url}">{select}'
        f'<td class="title-cell"><span class="key">{key}</span> '
        f'<a href="{url}" class="title" data-open>{_e(issue.title)}</a>{stale}{labels}</td>'
        f'<td><span class="pill cat-{_e(status.category)}">{_e(status.name)}</span></td>'
        f'<td class="prio prio-{_e(issue.priority)}">{_e(_priority(issue.priority))}</td>'
        f"<td>{assignees}</td>"
        f'<td class="num">{customers}</td>'
        f'<td><time datetime="{created.isoformat()}" title="Created {humane.stamp(created)}">'
        f"{_e(humane.since(created, now))}</time></td>"
        f'<td><time datetime="{active.isoformat()}" title="{humane.stamp(active)}">'
        f"{_e(humane.ago(active, now))}</time></td>"
        "</tr>"
    )


def _labels_and_people(issue: Issue) -> tuple[str, str]:
    labels = "".join(
        '<span class="label"><svg width="8" height="8" aria-hidden="true"><circle cx="4" '
        f'cy="4" r="4" fill="{_e(label.color)}"/></svg>{_e(label.name)}</span>'
        for label in issue.label_list
    )
    people = "".join(
        f'<span class="avatar" title="{_e(u.name)}">{_e(u.username)}</span>'
        for u in issue.assignee_list
    )
    return labels, people


@register.simple_tag(takes_context=True)
def board_card(context, issue: Issue, movable: bool) -> str:
    """One card of the board, as `issue_row` is one row of the list: a board shows up to
    50 cards per status (300-odd), each with a move form listing every status, which as
    template code was three quarters of the page's Python. `movable` adds the drag
    handle and the move form (the change_status right). The status options are built
    once per page, then only the selected one changes per card."""
    key = _e(issue.key)
    url = _e(issue.get_absolute_url())
    stale = '<span class="stale">Stale</span>' if issue.is_stale else ""
    labels, people = _labels_and_people(issue)
    move = ""
    if movable:
        head, tail = key_url_parts("issues:move")
        options = _status_options(context)
        token = _e(context.get("csrf_token", ""))
        move = (
            f'<form method="post" action="{_e(head + issue.key + tail)}" class="move-form">'
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
            f'<input type="hidden" name="back" value="{_e(context["query"])}">'
            f'<label class="visually-hidden" for="move-{issue.pk}">Move {key} to</label>'
            f'<select name="status" id="move-{issue.pk}">'
            + "".join(
                f"{start} selected{end}" if pk == issue.status_id else start + end
                for pk, start, end in options
            )
            + '</select> <button type="submit" class="small">Move</button></form>'
        )
    # Safe: every value went through _e (or is a number).
    return mark_safe(  # noqa: S308  # nosec B308 B703
        f'<li class="card issue-card"{_DRAGGABLE if movable else ""} '
        f'data-key="{key}" data-row data-href="{url}">'
        f'<div><span class="key">{key}</span> <span class="prio prio-{_e(issue.priority)}">'
        f"{_e(_priority(issue.priority))}</span> {stale}</div>"
        f'<a href="{url}" data-open>{_e(issue.title)}</a>'
        f'<div class="card-meta">{labels}{people}</div>{move}</li>'
    )


_DRAGGABLE = ' draggable="true"'


def _status_options(context) -> list[tuple[int, str, str]]:
    """(pk, '<option value="pk"', '>name</option>') for the page's statuses, made once
    per render."""
    cache = context.render_context
    options = cache.get("board_card_options")
    if options is None:
        options = cache["board_card_options"] = [
            (s.pk, f'<option value="{s.pk}"', f">{_e(s.name)}</option>")
            for s in context["statuses"]
        ]
    return options


@register.simple_tag(takes_context=True)
def property_form(context, name: str, label: str, multiple: bool = False) -> str:
    """One property of the issue page's side panel as a form of its own: a select
    (status, priority, kind), a checkbox menu (`multiple`: assignees, labels) or the due
    date. Six of them per page were a sixth of its Python as included templates (each
    its own context, lookups and tags); built here from the page's `options` and
    `selected`, with the same markup. htmx posts it on change; without JavaScript its
    Save button posts it, with the CSRF token the header would otherwise carry."""
    issue = context["issue"]
    head, tail = key_url_parts("issues:properties")
    url = _e(head + issue.key + tail)
    field = _e(name)
    title = _e(label)
    token = _e(context.get("csrf_token", ""))
    trigger = ' hx-trigger="change"' if name != "due_date" else ""
    if name == "due_date":
        due = issue.due_date.isoformat() if issue.due_date else ""
        control = f'<input type="date" name="due_date" id="prop-{field}" value="{due}">'
        save = f'<button type="submit" class="small secondary">Save {_e(label.lower())}</button>'
    elif multiple:
        choices, chosen = context["options"][name], context["selected"][name]
        none = "No labels yet" if name == "labels" else "Nobody to choose"
        boxes = (
            check_options(name, choices, chosen)
            if choices
            else f'<span class="muted">{none}</span>'
        )
        nobody = "" if chosen else '<span class="muted">None</span>'
        control = (
            f'<details class="menu prop-menu"><summary id="prop-{field}" aria-label="{title}: '
            f'change">{chosen_names(choices, chosen)}{nobody}</summary>'
            f'<fieldset class="menu-body"><legend class="visually-hidden">{title}</legend>'
            f'{boxes}<noscript><button type="submit" class="small secondary">Save '
            f"{_e(label.lower())}</button></noscript></fieldset></details>"
        )
        save = ""
    else:
        choices, chosen = context["options"][name], context["selected"][name]
        control = (
            f'<select name="{field}" id="prop-{field}">{select_options(choices, chosen)}</select>'
        )
        save = '<noscript><button type="submit" class="small secondary">Save</button></noscript>'
    # Safe: every value went through _e, or is markup built by the tags above.
    return mark_safe(  # noqa: S308  # nosec B308 B703
        f'<form method="post" action="{url}" class="prop-form" hx-post="{url}" '
        f'hx-target="#properties" hx-swap="outerHTML"{trigger} data-property="{field}">'
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
        f'<input type="hidden" name="version" value="{issue.version}">'
        f'<input type="hidden" name="fields" value="{field}">'
        f'<label for="prop-{field}">{title}</label>{control}{save}</form>'
    )


@register.simple_tag
def when(value) -> str:
    """`<time>` with the ISO value, the full date as its title and "3 hours ago"."""
    return mark_safe(_when(value))  # values escaped by _e  # noqa: S308  # nosec B308 B703


def _when(value, now=None, zone=None) -> str:
    """`<time>` with the ISO stamp, the long date as its title, and "… ago"; `now` and
    `zone` (the clock and the current time zone) read once by a caller with many."""
    local = value.astimezone(zone) if zone is not None else timezone.localtime(value)
    return (
        f'<time datetime="{_e(local.isoformat())}" title="{_e(humane.stamp(local))}">'
        f"{_e(humane.ago(local, now))}</time>"
    )


def _actor(event: IssueEvent) -> str:
    return _e((event.actor.name if event.actor else "") or "System")


_PUBLIC = (
    '<span class="pill public" title="The customer sees this on their status page">'
    "Public · visible to the customer</span>"
)
_INTERNAL = '<span class="pill internal" title="Only the team sees this">Internal</span>'


def _comment_entry(event: IssueEvent, now=None, zone=None) -> str:
    comment = event.comment
    if comment.customer is not None:
        via = f", via {_e(event.actor.name)}" if event.actor else ""
        who = f'<b>{_e(comment.customer.name)}</b> <span class="muted">(customer{via})</span>'
    else:
        who = f"<b>{_actor(event)}</b>"
    edited = '<span class="muted">(edited)</span>' if comment.edited_at else ""
    files = ""
    if attachments := getattr(comment, "attachment_list", None):
        items = "".join(
            f'<li><a href="{_e(f.get_absolute_url())}">{_e(f.filename)}</a> '
            f'<span class="muted">{_e(filesize(f.size))}</span></li>'
            for f in attachments
        )
        files = f'\n<ul class="attachment-list compact">{items}</ul>'
    return (
        f'<li class="comment {"public" if comment.is_public else "internal"}" '
        f'id="comment-{comment.pk}">\n<div class="meta">{who}\n'
        f"{_PUBLIC if comment.is_public else _INTERNAL}\n"
        f"{_when(event.created_at, now, zone)}\n{edited}"
        f'</div>\n<div class="markdown">{comment.body_html}</div>{files}\n</li>'
    )


@register.simple_tag
def timeline_entries(timeline: list[IssueEvent]) -> str:
    """The issue page's timeline, one `<li>` per event: a comment (its author or the
    customer, public or internal, when, its body and files) or a line of what changed.
    The page's template did this per event in some 30 nodes; here it is one string per
    event, each value escaped by `_e` (a comment's body is its stored, sanitised HTML).
    Edits of a comment show on the comment ("edited"), not as lines of their own."""
    entries = []
    now, zone = timezone.now(), timezone.get_current_timezone()
    for event in timeline:
        if event.kind == Kind.COMMENTED and event.comment is not None:
            entries.append(_comment_entry(event, now, zone))
        elif event.kind != Kind.COMMENT_EDITED:
            entries.append(
                f'<li class="event"><b>{_actor(event)}</b> {conditional_escape(event_text(event))}'
                f"\n· {_when(event.created_at, now, zone)}</li>"
            )
    return mark_safe("\n".join(entries))  # values escaped by _e  # noqa: S308  # nosec B308 B703


def _ce(value) -> str:
    """`conditional_escape` without its lazy wrapper: text already marked safe stays as
    it is, anything else is escaped (a menu escapes every member's and label's name)."""
    if isinstance(value, Promise):
        value = str(value)
    return value.__html__() if hasattr(value, "__html__") else _html_escape(str(value))


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _short(value) -> str:
    """The `date:"j M Y H:i"` of a local time: "5 Nov 2026 14:03"."""
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year} {value:%H:%M}"


def _period_time(value) -> str:
    local = timezone.localtime(value)
    return f'<time datetime="{local.isoformat()}">{_short(local)}</time>'


@register.simple_tag
def status_life(issue: Issue, life: dict) -> str:
    """The issue page's status history: the bar (a rect per status period), the facts
    (age, first response, resolution, reopenings) and the periods and totals tables
    (`selectors.get_issue_life`). Was an included template with two loops over the
    periods, a tenth of the page's Python; same markup, each text escaped by `_e`."""
    segments, totals = life["segments"], life["totals"]
    rects, rows = [], []
    for s in segments:
        period, status = s["period"], s["period"].status
        name, category = _e(status.name), _e(status.category)
        mover = period.entered_by.name if period.entered_by else ""
        entered = timezone.localtime(period.entered_at)
        rects.append(
            f'<rect class="c-{category}" x="{s["x"]:f}" y="0" width="{s["width"]:f}" '
            f'height="4"><title>{name}: {duration(s["seconds"])} \u2014 moved in by '
            f"{_e(mover or 'the system')}, {_short(entered)}</title></rect>"
        )
        left = _period_time(period.left_at) if period.left_at else "now"
        rows.append(
            f'<tr><td><span class="swatch c-{category}" aria-hidden="true"></span>{name}</td>'
            f"<td>{_period_time(period.entered_at)}</td><td>{left}</td>"
            f"<td>{duration(s['seconds'])}</td><td>{_e(mover or 'System')}</td></tr>"
        )
    total_rows = "".join(
        f'<tr><td><span class="swatch c-{_e(t["status"].category)}" aria-hidden="true"></span>'
        f"{_e(t['status'].name)}</td><td>{duration(t['seconds'])}</td><td>{t['periods']}</td></tr>"
        for t in totals
    )
    response = life["first_response"]
    if response:
        how = "assignment" if response.kind == "assigned" else "public comment"
        who = _e(response.actor.name if response.actor else "")
        first = (
            f'{duration(life["first_response_seconds"])} <span class="muted">({who}, {how})</span>'
        )
    else:
        first = '<span class="muted">none yet</span>'
    resolution = life["resolution_seconds"]
    resolved = duration(resolution) if resolution is not None else '<span class="muted">open</span>'
    reopens = life["reopens"]
    created = _short(timezone.localtime(issue.created_at))
    return _built(
        '<section class="card status-life" aria-labelledby="status-life-title">'
        '<h2 id="status-life-title" class="small-heading">Status history</h2>'
        '<svg class="status-bar" viewBox="0 0 100 4" preserveAspectRatio="none" role="img" '
        'aria-labelledby="status-bar-title">'
        f'<title id="status-bar-title">Time in each status since {created}</title>'
        f"{''.join(rects)}</svg>"
        '<dl class="life-facts">'
        f"<dt>Age</dt><dd>{duration(life['age_seconds'])}</dd>"
        f"<dt>First response</dt><dd>{first}</dd>"
        f"<dt>Resolution</dt><dd>{resolved}</dd>"
        f"<dt>Reopened</dt><dd>{reopens} time{'' if reopens == 1 else 's'}</dd>"
        "</dl><details><summary>Periods and totals</summary>"
        '<table class="compact">'
        f'<caption class="visually-hidden">Status periods of {_e(issue.key)}</caption>'
        '<thead><tr><th scope="col">Status</th><th scope="col">From</th><th scope="col">To</th>'
        '<th scope="col">Time</th><th scope="col">Moved in by</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
        '<table class="compact"><caption class="visually-hidden">Total time per status</caption>'
        '<thead><tr><th scope="col">Status</th><th scope="col">Total</th>'
        '<th scope="col">Periods</th></tr></thead>'
        f"<tbody>{total_rows}</tbody></table></details></section>"
    )


@register.simple_tag
def select_options(choices, chosen=()) -> str:
    """`<option>`s for (value, text) pairs, `selected` where the value is in `chosen`:
    one call instead of a template loop over every member or label."""
    return _built(
        "".join(
            f'<option value="{_ce(value)}"{" selected" if value in chosen else ""}>'
            f"{_ce(text)}</option>"
            for value, text in choices
        )
    )


@register.simple_tag
def check_options(name, choices, chosen) -> str:
    """Checkbox labels for (value, text) pairs, checked where the value is in `chosen`
    (a collection, or one value as a string; as strings, when the values are strings)."""
    if isinstance(chosen, str):
        chosen = {chosen} if chosen else set()
    name = _ce(name)
    return _built(
        "".join(
            f'<label class="check"><input type="checkbox" name="{name}" value="{_ce(value)}"'
            f"{' checked' if value in chosen else ''}> {_ce(text)}</label>"
            for value, text in choices
        )
    )


@register.simple_tag
def filter_menu(field, choices, title: str) -> str:
    """One menu of the list's filter bar: a <details> whose summary counts the values
    chosen, with a checkbox per choice. One call per menu instead of an included
    template (seven per list page, each its own context, tags and lookups)."""
    chosen = field.value()
    if chosen is None or chosen == "":
        chosen = []
    elif isinstance(chosen, str):
        chosen = [chosen]
    count = f' <span class="count">{len(chosen)}</span>' if chosen else ""
    options = (
        check_options(field.name, choices, chosen)
        if choices
        else ('<span class="muted">None</span>')
    )
    title = _ce(title)
    return _built(
        f'<details class="menu">\n  <summary>{title}{count}</summary>\n'
        '  <fieldset class="menu-body">\n'
        f'    <legend class="visually-hidden">{title}</legend>\n    {options}\n'
        "  </fieldset>\n</details>"
    )


@register.simple_tag
def chosen_names(choices, chosen) -> str:
    """The texts of the chosen values, each as an avatar chip."""
    return format_html_join(
        "",
        '<span class="avatar">{}</span>',
        ((text,) for value, text in choices if value in chosen),
    )
