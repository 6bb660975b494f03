"""Settings from the environment: the parsing helpers, and how a production
configuration starts (or refuses to) in a fresh process."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from issuetracker.settings import env_bool, env_int, mailer_from_url

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_SOURCE = (ROOT / "issuetracker" / "settings.py").read_text()
SETTINGS_VARS = set(re.findall(r"env_(?:str|bool|int|list)\(\s*\"(\w+)\"", SETTINGS_SOURCE))

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "tracker.example.com",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    # The deploy check rightly rejects the console backend with DEBUG off.
    "EMAIL_URL": "smtp://mailer:secret@mail.example.com:587?tls=1",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run manage.py in a fresh interpreter with only `env` as the settings' input."""
    environ = {key: value for key, value in os.environ.items() if key not in SETTINGS_VARS}
    # Other tests' process-wide switches (e.g. DJANGO_ALLOW_ASYNC_UNSAFE for the browser
    # tests) must not reach the production check.
    for leaked in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        environ.pop(leaked, None)
    environ.update(env)
    # Fixed arguments and our own interpreter: nothing here comes from outside the test.
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("0", False),
        ("true", True),
        ("false", False),
        ("On", True),
        ("OFF", False),
        (" true ", True),
        ("", False),
    ],
)
def test_env_bool_accepts_the_documented_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("TRACKER_TEST_FLAG", raw)
    assert env_bool("TRACKER_TEST_FLAG", not expected) is expected


def test_env_bool_uses_the_default_when_unset(monkeypatch):
    monkeypatch.delenv("TRACKER_TEST_FLAG", raising=False)
    assert env_bool("TRACKER_TEST_FLAG", True) is True
    assert env_bool("TRACKER_TEST_FLAG", False) is False


@pytest.mark.parametrize("raw", ["yes", "no", "2", "enabled"])
def test_env_bool_rejects_other_words(monkeypatch, raw):
    monkeypatch.setenv("TRACKER_TEST_FLAG", raw)
    with pytest.raises(ImproperlyConfigured, match="TRACKER_TEST_FLAG"):
        env_bool("TRACKER_TEST_FLAG", False)


def test_env_int_parses_and_defaults(monkeypatch):
    monkeypatch.setenv("TRACKER_TEST_INT", "42")
    assert env_int("TRACKER_TEST_INT", 7) == 42
    monkeypatch.setenv("TRACKER_TEST_INT", " ")
    assert env_int("TRACKER_TEST_INT", 7) == 7
    monkeypatch.delenv("TRACKER_TEST_INT")
    assert env_int("TRACKER_TEST_INT", 7) == 7


def test_env_int_rejects_non_numbers(monkeypatch):
    monkeypatch.setenv("TRACKER_TEST_INT", "abc")
    with pytest.raises(ImproperlyConfigured, match="TRACKER_TEST_INT must be an integer"):
        env_int("TRACKER_TEST_INT", 7)


def test_mailer_from_url_console():
    assert mailer_from_url("console:") == {
        "BACKEND": "django.core.mail.backends.console.EmailBackend"
    }


def test_mailer_from_url_smtp_decodes_credentials_and_options():
    assert mailer_from_url("smtp://user:p%40ss@mail.example.com:587?tls=1") == {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": "mail.example.com",
            "port": 587,
            "username": "user",
            "password": "p@ss",
            "use_tls": True,
            "use_ssl": False,
            "timeout": 10,
        },
    }


def test_mailer_from_url_smtps_defaults_to_implicit_tls_on_465():
    options = mailer_from_url("smtps://mail.example.com")["OPTIONS"]
    assert (options["port"], options["use_ssl"], options["use_tls"]) == (465, True, False)


def test_mailer_from_url_rejects_unknown_schemes():
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL"):
        mailer_from_url("ftp://mail.example.com")


def test_env_example_lists_exactly_the_variables_settings_read():
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", example, re.MULTILINE))
    assert listed == SETTINGS_VARS


def test_production_settings_pass_the_deploy_check():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_without_email_settings_refuses_to_start():
    env = {key: value for key, value in PRODUCTION.items() if key != "EMAIL_URL"}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "EMAIL_URL must be set when DEBUG is off" in result.stderr


@pytest.mark.parametrize(
    ("drop", "override", "named"),
    [
        ("SECRET_KEY", {}, "SECRET_KEY must be set when DEBUG is off"),
        ("ALLOWED_HOSTS", {}, "ALLOWED_HOSTS must be set when DEBUG is off"),
        (None, {"DEBUG": "yes"}, "DEBUG must be one of 1/0, true/false, on/off"),
    ],
)
def test_startup_fails_clearly_on_missing_or_malformed_settings(drop, override, named):
    env = {key: value for key, value in PRODUCTION.items() if key != drop} | override
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert named in result.stderr


@pytest.mark.parametrize(("value", "prepared"), [(None, True), ("0", False)])
def test_postgres_prepares_statements_unless_turned_off(value, prepared):
    env = PRODUCTION | ({} if value is None else {"DB_PREPARED_STATEMENTS": value})
    show = "from django.db import connection; print(sorted(connection.settings_dict['OPTIONS']))"
    result = manage("shell", "-c", show, env=env)
    assert result.returncode == 0, result.stderr
    options = result.stdout.strip()
    assert ("'server_side_binding'" in options) is prepared
    assert ("'prepare_threshold'" in options) is prepared
    assert "'options'" in options  # jit=off either way
