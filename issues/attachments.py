"""Rules for attached files: what a file is (sniffed from its bytes, never from the
client's word), what it may be called, and how it may be served.

Used by issues/services.py (add_attachment) and the download view; no writes here.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import IO

import filetype
from django.conf import settings

# Shown in the browser when opened; every other type is always a download. Never SVG or
# HTML: both can carry script.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})

# Sent with every attachment response: nothing inside may run or load anything.
ATTACHMENT_CSP = "default-src 'none'; img-src 'self'; style-src 'none'; sandbox"

_UNSAFE_CHARS = re.compile(r'[\x00-\x1f\x7f"\\/<>:|?*]+')
_MARKUP = re.compile(rb"^\s*(?:<\?xml|<!doctype|<html|<svg|<script)", re.IGNORECASE)
FILENAME_MAX = 200


@dataclass(frozen=True)
class Upload:
    """A file read and checked: its bytes, what they are and what to call them."""

    data: bytes
    filename: str
    content_type: str
    size: int
    sha256: str


def clean_filename(name: str | None) -> str:
    """The name to show and to send in Content-Disposition: no path, no control or
    quoting characters, not hidden, at most FILENAME_MAX characters (extension kept)."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = _UNSAFE_CHARS.sub("_", name)
    name = " ".join(name.split()).lstrip(".").strip()
    if len(name) > FILENAME_MAX:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[: FILENAME_MAX - len(ext) - 1] + "." + ext
        else:
            name = name[:FILENAME_MAX]
    return name or "attachment"


def sniff(data: bytes) -> str:
    """The content type of `data` judged from its bytes. Text is text/plain only when it
    is valid UTF-8 without control bytes; markup (HTML, SVG, XML) is named as such so the
    allow-list can refuse it."""
    kind = filetype.guess(data[:8192])
    if kind is not None:
        return kind.mime
    if _MARKUP.match(data[:1024]):
        head = data[:1024].lower()
        return "image/svg+xml" if b"<svg" in head else "text/html"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    if any(ord(c) < 32 and c not in "\t\n\r\f" for c in text):
        return "application/octet-stream"
    return "text/plain"


class UploadRefused(Exception):
    """Why a file cannot be attached; `too_large` tells the API to answer 413."""

    def __init__(self, message: str, *, too_large: bool = False):
        super().__init__(message)
        self.message = message
        self.too_large = too_large


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError  # pragma: no cover


def read_upload(file: IO[bytes], name: str | None = None) -> Upload:
    """Read `file` (at most ATTACHMENT_MAX_BYTES + 1 bytes) and check size and type.

    Raises UploadRefused with a message a person can act on.
    """
    limit = settings.ATTACHMENT_MAX_BYTES
    filename = clean_filename(name if name is not None else getattr(file, "name", ""))
    if hasattr(file, "seek"):
        file.seek(0)
    data = file.read(limit + 1)
    if len(data) > limit:
        raise UploadRefused(
            f"{filename} is larger than the {human_size(limit)} limit.", too_large=True
        )
    if not data:
        raise UploadRefused(f"{filename} is empty.")
    content_type = sniff(data)
    allowed = settings.ATTACHMENT_CONTENT_TYPES
    if content_type not in allowed:
        raise UploadRefused(
            f"{filename} is {content_type}, which cannot be attached. "
            f"Allowed: {', '.join(allowed)}."
        )
    return Upload(
        data=data,
        filename=filename,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
