"""What a file is, from its first bytes: the one list of material types every service
accepts (JPEG, PNG, PDF). Names and declared content types are never trusted."""

from __future__ import annotations

MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)
IMAGES = frozenset({"image/jpeg", "image/png"})
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}


def sniff(data: bytes) -> str | None:
    """The content type of a material, or None when it is none of the accepted types."""
    for magic, kind in MAGIC:
        if data.startswith(magic):
            return kind
    return None
