"""The evidence bundle's container: a zip written byte for byte the same from the same
files (sorted names, fixed timestamps and attributes, stored uncompressed).

So the offline check can tell a changed byte anywhere in the file, in a member or in
the zip's own headers: a member's bytes fail its CRC and the manifest's sha256, and a
header that differs from the canonical one makes the re-packed zip differ.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping

_EPOCH = (1980, 1, 1, 0, 0, 0)  # zip's earliest timestamp: no clock in the bytes


class BundleError(ValueError):
    """Bytes that are not a canonical evidence bundle."""


def pack(files: Mapping[str, bytes]) -> bytes:
    """The canonical zip of ``files`` (name → bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.create_system = 3  # unix
            info.external_attr = 0o100644 << 16
            archive.writestr(info, files[name])
    return buffer.getvalue()


def unpack(data: bytes) -> dict[str, bytes]:
    """The files of a canonical bundle; :class:`BundleError` when it is not one (a
    broken zip, a failed CRC, or any byte that differs from the canonical packing)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            files = {info.filename: archive.read(info) for info in archive.infolist()}
    # RuntimeError: zipfile's answer to a changed "encrypted" flag ("password required"),
    # and (NotImplementedError) to a changed "version needed" or method field
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError,
            RuntimeError) as error:
        raise BundleError(f"not a readable zip: {error}") from error
    if pack(files) != data:
        raise BundleError("the zip's bytes differ from the bundle as written (changed)")
    return files
