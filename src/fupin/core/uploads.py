"""Uploaded evidence files: what a file is by its first bytes, how large it may be, where it is kept.

One helper for every app that takes documents or photos from a user (supervision's rectification
evidence; the visit photos of ``fupin.twinning.photos`` and the benefit documents of
``fupin.benefits.services.attach_evidence`` hold older copies of the same rules and should move here).

- A file's type is read from its content (the name and the type the browser claims are not trusted).
- A file larger than the caller's limit, or empty, is refused with a message naming the field.
- The stored name is made up (``<prefix>/<random hex>.<ext>``): no user text reaches the file system.
- Nothing serves MEDIA_ROOT directly: ``file_response`` is called by a view after the reader's scope was
  checked, with headers that keep the browser from sniffing or caching it.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.files.base import File
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _

# content type → (first bytes, file name ending)
PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
MAGIC: dict[str, tuple[bytes, str]] = {
    PDF: (b"%PDF-", "pdf"),
    JPEG: (b"\xff\xd8\xff", "jpg"),
    PNG: (b"\x89PNG\r\n\x1a\n", "png"),
}
TYPE_NAMES = {PDF: "PDF", JPEG: "JPEG", PNG: "PNG"}


def sniff(head: bytes, allowed: Iterable[str] = tuple(MAGIC)) -> str | None:
    """The content type among ``allowed`` that the bytes start with, or None."""
    for content_type in allowed:
        magic, _extension = MAGIC[content_type]
        if head.startswith(magic):
            return content_type
    return None


def read_head(upload: File, length: int = 16) -> bytes:
    upload.seek(0)
    head = upload.read(length)
    upload.seek(0)
    return head if isinstance(head, bytes) else head.encode()


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed the checks: its type by content, size, digest and the name it came with."""

    upload: File
    content_type: str
    size: int
    sha256: str
    original_name: str

    @property
    def extension(self) -> str:
        return MAGIC[self.content_type][1]


def problems(upload: File, *, allowed: Iterable[str], max_bytes: int) -> list[str]:
    """What is wrong with the file, in the user's language (empty when it may be stored)."""
    allowed = tuple(allowed)
    found: list[str] = []
    size = int(getattr(upload, "size", 0) or 0)
    if size == 0:
        return [_("The file is empty.")]
    if sniff(read_head(upload), allowed) is None:
        names = _(", ").join(TYPE_NAMES[t] for t in allowed)
        found.append(_("Attach a file of one of these kinds: %(kinds)s.") % {"kinds": names})
    if size > max_bytes:
        found.append(_("The file is larger than %(mb)s MB.") % {"mb": max_bytes // (1024 * 1024)})
    return found


def check(upload: File, *, allowed: Iterable[str], max_bytes: int) -> CheckedFile:
    """The checked file; call ``problems`` first (this raises ValueError on a file it refuses)."""
    allowed = tuple(allowed)
    if problems(upload, allowed=allowed, max_bytes=max_bytes):
        raise ValueError("refused upload")
    content_type = sniff(read_head(upload), allowed)
    assert content_type is not None
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
        digest.update(chunk)
    upload.seek(0)
    return CheckedFile(
        upload=upload,
        content_type=content_type,
        size=int(upload.size or 0),
        sha256=digest.hexdigest(),
        original_name=str(getattr(upload, "name", "") or "")[-200:],
    )


def store(checked: CheckedFile, prefix: str) -> str:
    """Write the file under MEDIA_ROOT; the stored name (``<prefix>/<random>.<ext>``)."""
    checked.upload.seek(0)
    return default_storage.save(f"{prefix}/{uuid.uuid4().hex}.{checked.extension}", checked.upload)


def remove(names: Iterable[str]) -> None:
    """Delete stored files (a transaction that stored them failed afterwards)."""
    for name in names:
        default_storage.delete(name)


def file_response(name: str, content_type: str, download_name: str) -> FileResponse:
    """The stored file inline, never sniffed or cached; 404 when the file is gone."""
    try:
        handle = default_storage.open(name, "rb")
    except FileNotFoundError:
        raise Http404(_("The file is missing.")) from None
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{download_name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
