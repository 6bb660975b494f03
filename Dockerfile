# Production image: gunicorn (gthread) serving the app; the same image runs the
# Celery worker and beat with another command (see docker-compose.yml).
FROM python:3.13-slim

# STATIC_MANIFEST=1: serve the hashed, compressed files that collectstatic writes below.
# The interpreter is the image's Python 3.13 (.python-version); uv never downloads one.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    PATH="/app/.venv/bin:$PATH" \
    STATIC_MANIFEST=1

RUN pip install uv==0.13.9

WORKDIR /app

# Dependencies first, so changing the code does not reinstall them.
COPY pyproject.toml uv.lock .python-version ./
RUN uv sync --frozen --no-dev --no-install-project

COPY . .

# Settings refuse DEBUG off without SECRET_KEY, ALLOWED_HOSTS and EMAIL_URL: give throwaway
# values to this step only; the running container gets real ones from its environment.
RUN DEBUG=0 SECRET_KEY=build-only-collectstatic-not-a-secret ALLOWED_HOSTS=build EMAIL_URL=dummy: \
    python manage.py collectstatic --noinput

# var/ holds the filesystem broker and media when no Redis is configured.
RUN useradd --system --uid 10001 --user-group --no-create-home --home-dir /app app \
    && mkdir -p /app/var/media \
    && chown -R app:app /app/var
USER app

EXPOSE 8000

# Django rejects Host headers outside ALLOWED_HOSTS, so probe with the first allowed
# host; /healthz is exempt from the HTTPS redirect and answers 200 when the database does.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as r; host = os.environ.get('ALLOWED_HOSTS', '').split(',')[0].strip().lstrip('*.') or 'localhost'; r.urlopen(r.Request('http://127.0.0.1:8000/healthz', headers={'Host': host}), timeout=4)"]

CMD ["gunicorn", "issuetracker.wsgi", "--worker-class", "gthread", "--workers", "2", "--threads", "4", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
