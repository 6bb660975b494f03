"""Stored XSS: every payload of tests/security/xss_corpus.py in every user-supplied
field, rendered on every page that shows it and in the notification emails, in a real
Chromium with a sentinel: zero executions.

The browser context bypasses the Content-Security-Policy, so escaping and sanitizing
are tested on their own; CSP is a second wall, checked separately (every HTML response
here must carry one without 'unsafe-inline' scripts). Besides the sentinel, the DOM is
searched for what would run on a click: inline handlers and javascript:/vbscript:/
data:text/html URLs.
"""

from urllib.parse import quote

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Membership
from issues import customer_links, services
from issues.models import Customer, Label, Organization, SavedView
from notifications import services as notify
from notifications.models import Notification
from tests.factories import CustomerFactory, UserFactory
from tests.security.xss_corpus import PAYLOADS, SHORT

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SENTINEL = """
window.__xssHits = [];
window.__xss = function (n) { window.__xssHits.push(n); };
"""

DOM_CHECK = """
() => {
  const bad = [];
  const urlAttrs = ['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'poster'];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      const value = attr.value.replace(/[\\s\\u0000-\\u001f]/g, '').toLowerCase();
      if (name.startsWith('on')) bad.push(`${el.tagName} ${name}=${attr.value}`);
      if (name === 'srcdoc') bad.push(`${el.tagName} srcdoc`);
      if (urlAttrs.includes(name) && /^(javascript|vbscript|data:text\\/html)/.test(value)) {
        bad.push(`${el.tagName} ${name}=${attr.value}`);
      }
    }
  }
  const never = 'iframe, object, embed, base, math, svg script, meta[http-equiv=refresh], isindex';
  for (const el of document.querySelectorAll(never)) bad.push(`element ${el.tagName}`);
  return bad;
}
"""


@pytest.fixture
def hostile(eng, alice, bob, mailoutbox):
    """ENG full of payloads: team name, people's names, labels, customers, issue titles,
    descriptions, public and internal comments, a saved view; bob is assigned to every
    issue and wants email for everything, so his inbox and mail hold them too."""
    notify.set_preferences(bob, {kind: "email" for kind in Notification.Kind.values})
    eng.name = "<img src=x onerror=__xss(900)>\"'><script>__xss(901)</script>"
    eng.save()
    people = []
    for n, payload in enumerate(SHORT[:8]):
        person = UserFactory(username=f"evil{n}", display_name=payload)
        Membership.objects.create(team=eng, user=person, role="member")
        people.append(person)
    labels = [
        Label.objects.create(team=eng, name=payload[:50], color="#123456")
        for payload in dict.fromkeys(p[:50] for p in SHORT)
    ]
    customers = [CustomerFactory(name=p, organization=p[:200]) for p in PAYLOADS[:10]]
    issues = []
    for n, payload in enumerate(PAYLOADS):
        actor = people[n % len(people)]
        issue = services.create_issue(
            eng,
            actor=actor,
            title=payload,
            description=f"{payload}\n\nand @{actor.username} said {payload}",
            labels=[labels[n % len(labels)]],
            assignees=[bob],
            customer=customers[n % len(customers)],
        )
        services.add_comment(issue, body=payload, actor=actor, public=n % 2 == 0)
        if n < 24:
            services.add_attachment(
                issue,
                file=SimpleUploadedFile("x.txt", b"hello", content_type="text/plain"),
                filename=f"{payload}.txt",
                actor=actor,
            )
        if n < 12:
            services.create_status_link(issue, actor=actor)
            issue.refresh_from_db()
        issues.append(issue)
    SavedView.objects.create(team=eng, owner=bob, name=SHORT[1][:80], query="q=x")
    return issues


def _signed_in(browser, live_server, username):
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    context.add_init_script(SENTINEL)
    page = context.new_page()
    page.set_default_timeout(15_000)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill("pw-for-tests-only")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    return context, page, dialogs


def _visit(page, url, findings):
    response = page.goto(url)
    assert response.status == 200, url
    csp = response.headers.get("content-security-policy", "")
    script_src = next((p for p in csp.split(";") if p.strip().startswith("script-src")), "")
    if not script_src or "'unsafe-inline'" in script_src:
        findings.append((url, "CSP", csp))
    page.wait_for_timeout(50)  # autofocus/onfocus, animations and media errors fire late
    hits = page.evaluate("window.__xssHits")
    if hits:
        findings.append((url, "executed", hits))
    bad = page.evaluate(DOM_CHECK)
    if bad:
        findings.append((url, "dom", bad[:5]))


def test_the_sentinel_sees_an_injection(browser):
    """The detector itself works: a real injection is caught."""
    context = browser.new_context(bypass_csp=True)
    context.add_init_script(SENTINEL)
    page = context.new_page()
    page.set_content("<img src=x onerror=__xss(0)><a href='javascript:__xss(0)'>x</a>")
    page.wait_for_timeout(100)
    assert page.evaluate("window.__xssHits") == [0]
    assert page.evaluate(DOM_CHECK)
    context.close()


def test_no_payload_runs_on_any_page(browser, live_server, hostile, screenshot):
    findings = []
    context, page, dialogs = _signed_in(browser, live_server, "bob")
    urls = [
        "/",
        "/teams/ENG/issues/",
        "/teams/ENG/issues/?page=2",
        "/teams/ENG/issues/?q=script",
        "/teams/ENG/issues/?sort=title",
        "/teams/ENG/board/",
        "/teams/ENG/reports/",
        f"/teams/ENG/reports/?label={quote(SHORT[0][:50])}&customer=linked",
        "/inbox/",
        "/inbox/preferences/",
        *[f"/issues/{issue.key}/" for issue in hostile],
        f"/issues/{hostile[0].key}/edit/",
        *[customer_links.status_path(issue) for issue in hostile[:12]],
        "/customers/",
        "/customers/?q=script",
        *[f"/customers/{c.pk}/" for c in Customer.objects.all()],
        *[f"/organizations/{o.pk}/" for o in Organization.objects.all()],
        "/quick-log/",
        "/quick-log/customer/?q=img",
        f"/quick-log/similar/?team=ENG&title={quote(PAYLOADS[1])}",
        "/issues/new/?team=ENG&title=%3Cscript%3E__xss(800)%3C/script%3E",
    ]
    for url in urls:
        _visit(page, live_server.url + url, findings)
    page.goto(f"{live_server.url}/issues/{hostile[1].key}/")
    screenshot("xss-issue-page")
    context.close()

    context, page, admin_dialogs = _signed_in(browser, live_server, "alice")
    for url in ("/teams/ENG/settings/members/", "/teams/ENG/settings/labels/",
                "/teams/ENG/settings/audit/", "/teams/ENG/settings/support/"):  # fmt: skip
        _visit(page, live_server.url + url, findings)
    context.close()

    assert findings == []
    assert dialogs == [] and admin_dialogs == []


def test_no_payload_runs_in_the_notification_emails(browser, hostile):
    messages = [m for m in mail.outbox if m.alternatives]
    assert len(messages) >= len(PAYLOADS)  # one assignment email per issue at least
    context = browser.new_context(bypass_csp=True)
    context.add_init_script(SENTINEL)
    page = context.new_page()
    findings = []
    for message in messages:
        html = message.alternatives[0][0]
        page.set_content(html)
        page.wait_for_timeout(20)
        if page.evaluate("window.__xssHits"):
            findings.append((message.subject, "executed"))
        if bad := page.evaluate(DOM_CHECK):
            findings.append((message.subject, bad[:3]))
    context.close()
    assert findings == []
