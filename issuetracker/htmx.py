"""Small helpers for htmx requests (django-htmx's middleware sets request.htmx)."""


def is_htmx(request) -> bool:
    return bool(getattr(request, "htmx", False))


def target_id(request) -> str:
    """The id of the element htmx will swap into: htmx 4 sends "tag#id", htmx 2 "id"."""
    target = (request.headers.get("HX-Target") or "") if is_htmx(request) else ""
    return target.rpartition("#")[2]
