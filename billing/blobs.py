"""Shot and attachment blobs behind a small interface: a local directory by default.

:class:`BlobStore` is the port; :class:`LocalBlobStore` is the embedded store and
``billing.blob_s3.S3BlobStore`` the S3-compatible one (``billing.blob_config`` picks one
from the settings). Every write is checked against the SHA-256 the caller expects: on a
mismatch nothing is stored and :class:`ChecksumMismatch` is raised.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Protocol

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")
CHUNK_BYTES = 64 * 1024
_TEMP_PREFIX = ".tmp-"


class ChecksumMismatch(ValueError):
    """The bytes do not hash to the SHA-256 the caller announced; nothing was stored."""


class BlobStoreUnavailable(Exception):
    """The store did not answer (network, timeout, 5xx); nothing changed, retry later."""


@dataclass(frozen=True)
class BlobInfo:
    """One stored blob as a listing sees it (``modified`` is UTC)."""

    key: str
    size_bytes: int
    modified: datetime


@dataclass(frozen=True)
class Upload:
    """A request body spooled to a file by the server: its size and SHA-256 were counted
    as it was written (``billing.api.uploads``), so the stores need not read it again."""

    path: Path
    size: int
    sha256: str


def check_key(key: str) -> str:
    """``key`` if it is a safe relative name (``"12/2026…img"``), else ``ValueError``."""
    if not _KEY.match(key) or ".." in key:
        raise ValueError(f"invalid blob key {key!r}")
    return key


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class BlobStore(Protocol):
    """Stores opaque bytes under a key like ``"12/2026-11-23T10-20-00.img"``."""

    def put(self, key: str, data: bytes) -> None: ...

    def put_stream(self, key: str, stream: BinaryIO, sha256: str) -> int:
        """Store what ``stream`` yields if it hashes to ``sha256``; returns its size."""
        ...

    def put_file(self, key: str, upload: Upload) -> None:
        """Store a spooled upload; the file may be moved into the store (it is consumed)."""
        ...

    def get(self, key: str) -> bytes | None: ...

    def open_chunks(self, key: str) -> Iterator[bytes] | None:
        """The blob as an iterator of chunks, or None when there is no such blob."""
        ...

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...

    def iter_blobs(self, prefix: str = "") -> Iterator[BlobInfo]:
        """Every stored blob whose key starts with ``prefix`` (for the orphan sweep)."""
        ...


class LocalBlobStore:
    """Blobs as files under ``root`` (dirs 0700, files 0600), written atomically."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._root.mkdir(parents=True, exist_ok=True, mode=0o700)
        _private_dirs(self._root)

    def _path(self, key: str) -> Path:
        return self._root / check_key(key)

    def _make_parents(self, path: Path) -> None:
        # one level at a time: mkdir(parents=True) gives the missing parents the
        # default mode (0755 under the usual umask), not 0700
        missing = []
        parent = path.parent
        while parent != self._root and not parent.is_dir():
            missing.append(parent)
            parent = parent.parent
        for directory in reversed(missing):
            directory.mkdir(mode=0o700, exist_ok=True)

    def put(self, key: str, data: bytes) -> None:
        self.put_stream(key, io.BytesIO(data), sha256_hex(data))

    def put_stream(self, key: str, stream: BinaryIO, sha256: str) -> int:
        path = self._path(key)
        self._make_parents(path)
        # temp name, fsync, then rename: a crash leaves the old blob or the new, never half
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=_TEMP_PREFIX)
        try:
            size, digest = _copy_hashing(stream, fd)
            if digest != sha256:
                raise ChecksumMismatch(f"sha256 mismatch: expected {sha256}, got {digest}")
            os.chmod(tmp_name, 0o600)
            os.replace(tmp_name, path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return size

    def put_file(self, key: str, upload: Upload) -> None:
        path = self._path(key)
        self._make_parents(path)
        with upload.path.open("rb") as handle:
            os.fsync(handle.fileno())
        os.chmod(upload.path, 0o600)
        try:
            os.replace(upload.path, path)  # the spool dir sits beside the blobs: a rename
        except OSError as error:
            if error.errno != errno.EXDEV:
                raise
            with upload.path.open("rb") as handle:  # another file system: a checked copy
                self.put_stream(key, handle, upload.sha256)

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def open_chunks(self, key: str) -> Iterator[bytes] | None:
        try:
            handle = self._path(key).open("rb")
        except FileNotFoundError:
            return None
        return _file_chunks(handle)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def iter_blobs(self, prefix: str = "") -> Iterator[BlobInfo]:
        for path in sorted(self._root.rglob("*")):
            if path.name.startswith(_TEMP_PREFIX) or not path.is_file():
                continue
            key = path.relative_to(self._root).as_posix()
            if key.startswith(prefix):
                stat = path.stat()
                yield BlobInfo(key, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC))


def _private_dirs(root: Path) -> None:
    """Tighten a store's directories to 0700 (directories only: files are written 0600
    and there may be millions of them)."""
    for parent, _dirs, _files in os.walk(root):  # scandir: no stat per file
        mode = os.stat(parent).st_mode & 0o777
        if mode & 0o077:
            os.chmod(parent, mode & 0o700)


def _copy_hashing(stream: BinaryIO, fd: int) -> tuple[int, str]:
    """Copy ``stream`` into ``fd`` (then fsync); returns the size and the SHA-256."""
    hasher = hashlib.sha256()
    size = 0
    with os.fdopen(fd, "wb") as handle:
        while chunk := stream.read(CHUNK_BYTES):
            hasher.update(chunk)
            handle.write(chunk)
            size += len(chunk)
        handle.flush()
        os.fsync(handle.fileno())
    return size, hasher.hexdigest()


def _file_chunks(handle: BinaryIO) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(CHUNK_BYTES):
            yield chunk
