"""The production configuration, served by gunicorn in its own process: security
headers, cookie flags, the HTTPS redirect, and no way to files outside static/.

Behind a TLS-terminating proxy (SECURE_PROXY_SSL_HEADER=1), requests that carry
`X-Forwarded-Proto: https` are the ones browsers make."""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path

import pytest

from tests.test_settings import PRODUCTION, ROOT, SETTINGS_VARS

HOST = "tracker.example.com"
HTTPS = {"Host": HOST, "X-Forwarded-Proto": "https"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _environ(database: Path) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARS}
    for leaked in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        environ.pop(leaked, None)
    environ.update(PRODUCTION)
    environ.update(
        {
            "DATABASE_URL": f"sqlite:///{database}",
            "SECURE_PROXY_SSL_HEADER": "1",
            "DJANGO_SUPERUSER_PASSWORD": "a-long-production-password",
        }
    )
    return environ


def _run(args: list[str], environ: dict[str, str]) -> None:
    # Fixed arguments and our own interpreter: nothing here comes from outside the test.
    subprocess.run(  # noqa: S603
        [sys.executable, *args], cwd=ROOT, env=environ, check=True, capture_output=True
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    database = tmp_path_factory.mktemp("prod") / "db.sqlite3"
    environ = _environ(database)
    _run(["manage.py", "migrate", "--noinput"], environ)
    _run(["manage.py", "collectstatic", "--noinput"], environ)
    _run(
        ["manage.py", "createsuperuser", "--noinput", "--username", "root", "--email", "r@x.io"],
        environ,
    )
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "issuetracker.wsgi", "--workers", "1",
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT, env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("gunicorn did not start: " + process.stderr.read().decode()[-2000:])
    yield port
    process.terminate()
    process.wait(timeout=10)


def request(port, method, path, headers=None, body=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(method, path, body=body, headers=headers or HTTPS)
    response = connection.getresponse()
    response.body = response.read()
    connection.close()
    return response


def _cookies(response) -> dict[str, str]:
    """name -> the raw Set-Cookie header for it."""
    return {
        header.split("=", 1)[0]: header
        for name, header in response.getheaders()
        if name.lower() == "set-cookie"
    }


def test_plain_http_is_redirected_to_https(server):
    response = request(server, "GET", "/accounts/login/", headers={"Host": HOST})
    assert response.status == 301
    assert response.getheader("Location") == f"https://{HOST}/accounts/login/"


def test_health_check_answers_over_plain_http(server):
    assert request(server, "GET", "/healthz", headers={"Host": HOST}).status == 200


def test_security_headers_on_html(server):
    response = request(server, "GET", "/accounts/login/")
    assert response.status == 200
    csp = response.getheader("Content-Security-Policy")
    script_src = re.search(r"script-src ([^;]+)", csp).group(1)
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert set(script_src.split()) - {"'self'"} <= {
        word for word in script_src.split() if word.startswith("'nonce-")
    }
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert response.getheader("Strict-Transport-Security") == (
        "max-age=31536000; includeSubDomains"
    )
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert response.getheader("X-Frame-Options") == "DENY"
    assert response.getheader("Referrer-Policy") == "same-origin"
    assert response.getheader("Cross-Origin-Opener-Policy") == "same-origin"


def test_cookie_flags(server):
    page = request(server, "GET", "/accounts/login/")
    csrf_header = _cookies(page)["csrftoken"]
    assert "Secure" in csrf_header and "SameSite=Lax" in csrf_header
    token = SimpleCookie(csrf_header)["csrftoken"].value
    form_token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body).group(1)
    signed_in = request(
        server,
        "POST",
        "/accounts/login/",
        headers={
            **HTTPS,
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={token}",
            "Referer": f"https://{HOST}/accounts/login/",
        },
        body=b"username=root&password=a-long-production-password&csrfmiddlewaretoken=" + form_token,
    )
    assert signed_in.status == 302, signed_in.body[:500]
    session = _cookies(signed_in)["sessionid"]
    assert "Secure" in session and "HttpOnly" in session and "SameSite=Lax" in session


def test_a_post_without_the_csrf_token_is_refused(server):
    response = request(
        server,
        "POST",
        "/accounts/login/",
        headers={**HTTPS, "Content-Type": "application/x-www-form-urlencoded"},
        body=b"username=root&password=a-long-production-password",
    )
    assert response.status == 403


@pytest.mark.parametrize(
    "path",
    [
        "/.git/config",
        "/.env",
        "/static/../manage.py",
        "/static/%2e%2e/manage.py",
        "/static/..%2f..%2fissuetracker/settings.py",
        "/static/vendor/htmx/../../../manage.py",
        "/static/%2e%2e%2f%2e%2e%2fetc/passwd",
        "/media/../db.sqlite3",
        "/issues/..%2f..%2fetc%2fpasswd/",
        "//etc/passwd",
    ],
)
def test_files_outside_static_are_not_served(server, path):
    response = request(server, "GET", path)
    assert response.status in {400, 404}, (path, response.status)
    assert b"[core]" not in response.body and b"SECRET_KEY" not in response.body
    assert b"root:" not in response.body


def test_static_files_are_served_with_nosniff(server):
    response = request(server, "GET", "/static/css/app.css")
    assert response.status == 200
    assert response.getheader("X-Content-Type-Options") == "nosniff"


def test_errors_show_no_debug_page(server):
    response = request(server, "GET", "/issues/NOPE-1/")
    assert response.status in {302, 404}
    assert b"Traceback" not in response.body and b"DEBUG = True" not in response.body
    unknown_host = request(server, "GET", "/", headers={"Host": "evil.example.net"})
    assert unknown_host.status == 400
    assert b"ALLOWED_HOSTS" not in unknown_host.body
