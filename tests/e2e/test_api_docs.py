"""The API docs page renders in a real Chromium under the site's strict CSP, offline."""

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Records what the browser blocked; added before any page script runs.
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""


def test_the_docs_page_renders_without_csp_violations(live_server, page, screenshot):
    errors, outside = [], []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "request",
        lambda r: not r.url.startswith((live_server.url, "data:")) and outside.append(r.url),
    )
    page.add_init_script(WATCH_CSP)

    page.goto(f"{live_server.url}/api/docs/")
    page.locator(".swagger-ui .info .title").filter(has_text="Issue tracker API").wait_for()
    page.locator(".opblock-summary-path", has_text="/api/v1/issues/{key}/").first.wait_for()
    page.get_by_role("button", name="Authorize").wait_for()
    screenshot("api-docs")

    assert page.evaluate("window.__csp") == []
    assert errors == []
    assert outside == []  # works offline: nothing from a CDN
