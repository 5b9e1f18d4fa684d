"""Photos of visits: what a file is, by its first bytes, and where it is kept.

A file is accepted as a JPEG or a PNG only when its content starts like one (the name and the type the
browser claims are not trusted) and it is not larger than ``TWINNING_PHOTO_MAX_BYTES``. Files are kept
under MEDIA_ROOT with a name the system makes up; nothing serves MEDIA_ROOT directly: the photo page
checks the reader's scope first.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.core.files.base import File
from django.core.files.storage import default_storage

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png"}


def sniff(head: bytes) -> str | None:
    """The image type the bytes start with: ``image/jpeg``, ``image/png`` or None."""
    if head.startswith(JPEG_MAGIC):
        return "image/jpeg"
    if head.startswith(PNG_MAGIC):
        return "image/png"
    return None


@dataclass(frozen=True)
class CheckedPhoto:
    upload: File
    content_type: str
    size: int
    original_name: str


def read_head(upload: File, length: int = 16) -> bytes:
    upload.seek(0)
    head = upload.read(length)
    upload.seek(0)
    return head if isinstance(head, bytes) else head.encode()


def store(photo: CheckedPhoto, household_id: int) -> str:
    """Write the photo under MEDIA_ROOT; the stored name (``visits/<household>/<random>.<ext>``)."""
    name = f"visits/{household_id}/{uuid.uuid4().hex}.{EXTENSIONS[photo.content_type]}"
    photo.upload.seek(0)
    return default_storage.save(name, photo.upload)


def remove(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)
