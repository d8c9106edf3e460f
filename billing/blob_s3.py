"""The BlobStore on S3-compatible object storage, through boto3.

Uploads stream: up to ``multipart_threshold`` bytes go in one ``PutObject``, a larger
stream goes as a multipart upload of ``part_size`` parts. Either way the SHA-256 is sent
(``x-amz-checksum-sha256``: the store re-hashes what arrives and refuses a mismatch, per
part for multipart) and checked here against the caller's expected hash before the
object becomes visible; a multipart upload that fails or mismatches is aborted, so
nothing half-written is ever readable. The expected hash is also kept in the object's
metadata (``sha256``) and reads verify it (``get``) or let botocore verify the stored
checksum (``ChecksumMode=ENABLED``).
"""

from __future__ import annotations

import base64
import hashlib
import io
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC
from typing import Any, BinaryIO

import boto3  # type: ignore[import-untyped]
from botocore.config import Config  # type: ignore[import-untyped]
from botocore.exceptions import (  # type: ignore[import-untyped]
    BotoCoreError,
    ClientError,
    FlexibleChecksumError,
)

from billing.blobs import (
    CHUNK_BYTES,
    BlobInfo,
    BlobStoreUnavailable,
    ChecksumMismatch,
    Upload,
    check_key,
    sha256_hex,
)

MIB = 1024 * 1024
MIN_PART_BYTES = 5 * MIB  # S3's smallest part (all but the last)
_MISSING = {"404", "NoSuchKey", "NotFound"}
_BAD_CHECKSUM = {"BadDigest", "InvalidDigest", "XAmzContentChecksumMismatch"}


@dataclass(frozen=True)
class S3Location:
    """Where the blobs live and how to reach the service.

    ``access_key_id``/``secret_access_key`` None means boto3's standard chain
    (``AWS_*`` variables, shared config files, instance or container roles).
    """

    bucket: str
    endpoint_url: str | None = None
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None


def make_s3_client(location: S3Location, *, max_attempts: int = 5) -> Any:
    """A thread-safe boto3 S3 client for ``location`` (path-style for custom endpoints)."""
    config = Config(
        retries={"mode": "standard", "max_attempts": max_attempts},
        connect_timeout=5,
        s3={"addressing_style": "path"} if location.endpoint_url else {},
    )
    return boto3.session.Session().client(
        "s3",
        endpoint_url=location.endpoint_url,
        region_name=location.region,
        aws_access_key_id=location.access_key_id,
        aws_secret_access_key=location.secret_access_key,
        config=config,
    )


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


@contextmanager
def _store_errors() -> Iterator[None]:
    """botocore's failures as the BlobStore's: unreachable or 5xx → BlobStoreUnavailable."""
    try:
        yield
    except FlexibleChecksumError as error:
        raise ChecksumMismatch(f"the stored object fails its checksum: {error}") from error
    except BotoCoreError as error:
        raise BlobStoreUnavailable(f"the object store did not answer: {error}") from error
    except ClientError as error:
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
        if status >= 500:
            raise BlobStoreUnavailable(f"the object store failed: {_code(error)}") from error
        raise


def _read_up_to(stream: BinaryIO, size: int) -> bytes:
    """Up to ``size`` bytes: ``read`` may return less than asked before the end."""
    parts: list[bytes] = []
    wanted = size
    while wanted > 0 and (chunk := stream.read(wanted)):
        parts.append(chunk)
        wanted -= len(chunk)
    return b"".join(parts)


class S3BlobStore:
    """Blobs as objects ``<key_prefix><key>`` in one bucket."""

    def __init__(
        self,
        client: Any,
        bucket: str,
        *,
        key_prefix: str = "",
        multipart_threshold: int = 8 * MIB,
        part_size: int = 8 * MIB,
    ) -> None:
        if part_size < MIN_PART_BYTES:
            raise ValueError(f"S3 parts are at least {MIN_PART_BYTES} bytes")
        self._client = client
        self._bucket = bucket
        self._prefix = key_prefix
        self._threshold = multipart_threshold
        self._part_size = part_size

    def _name(self, key: str) -> str:
        return self._prefix + check_key(key)

    # --- writing --------------------------------------------------------------------
    def put(self, key: str, data: bytes) -> None:
        self.put_stream(key, io.BytesIO(data), sha256_hex(data))

    def put_stream(self, key: str, stream: BinaryIO, sha256: str) -> int:
        name = self._name(key)
        head = _read_up_to(stream, self._threshold)
        with _store_errors():
            if len(head) < self._threshold:
                self._put_single(name, head, sha256)
                return len(head)
            return self._put_multipart(name, head, stream, sha256)

    def put_file(self, key: str, upload: Upload) -> None:
        # streamed from the spool file: one part in memory at a time
        with upload.path.open("rb") as handle:
            self.put_stream(key, handle, upload.sha256)
        upload.path.unlink(missing_ok=True)

    def _put_single(self, name: str, body: bytes, sha256: str) -> None:
        digest = hashlib.sha256(body).digest()
        if digest.hex() != sha256:
            raise ChecksumMismatch(f"sha256 mismatch: expected {sha256}, got {digest.hex()}")
        try:
            self._client.put_object(
                Bucket=self._bucket,
                Key=name,
                Body=body,
                ChecksumAlgorithm="SHA256",
                ChecksumSHA256=_b64(bytes.fromhex(sha256)),
                Metadata={"sha256": sha256},
            )
        except ClientError as error:
            if _code(error) in _BAD_CHECKSUM:
                raise ChecksumMismatch(f"the store refused the body: {_code(error)}") from error
            raise

    def _put_multipart(self, name: str, head: bytes, stream: BinaryIO, sha256: str) -> int:
        upload = self._client.create_multipart_upload(
            Bucket=self._bucket, Key=name, ChecksumAlgorithm="SHA256", Metadata={"sha256": sha256}
        )
        upload_id = upload["UploadId"]
        try:
            parts, size, digest = self._upload_parts(name, upload_id, head, stream)
            if digest != sha256:
                raise ChecksumMismatch(f"sha256 mismatch: expected {sha256}, got {digest}")
            self._client.complete_multipart_upload(
                Bucket=self._bucket,
                Key=name,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
            )
        except BaseException:
            # store down: its AbortIncompleteMultipartUpload rule clears the parts (README)
            with suppress(BotoCoreError, ClientError):
                self._client.abort_multipart_upload(
                    Bucket=self._bucket, Key=name, UploadId=upload_id
                )
            raise
        return size

    def _upload_parts(
        self, name: str, upload_id: str, head: bytes, stream: BinaryIO
    ) -> tuple[list[dict[str, Any]], int, str]:
        """Send ``head`` then the rest of ``stream`` in parts; returns parts, size, SHA-256."""
        whole = hashlib.sha256()
        parts: list[dict[str, Any]] = []
        pending = head
        size = 0
        while pending:
            pending += _read_up_to(stream, self._part_size - len(pending))
            body, pending = pending[: self._part_size], pending[self._part_size :]
            whole.update(body)
            size += len(body)
            checksum = _b64(hashlib.sha256(body).digest())
            number = len(parts) + 1
            sent = self._client.upload_part(
                Bucket=self._bucket,
                Key=name,
                UploadId=upload_id,
                PartNumber=number,
                Body=body,
                ChecksumAlgorithm="SHA256",
                ChecksumSHA256=checksum,
            )
            parts.append({"PartNumber": number, "ETag": sent["ETag"], "ChecksumSHA256": checksum})
            if not pending:
                pending = _read_up_to(stream, self._part_size)
        return parts, size, whole.hexdigest()

    # --- reading --------------------------------------------------------------------
    def _get_object(self, key: str) -> dict[str, Any] | None:
        try:
            with _store_errors():
                response: dict[str, Any] = self._client.get_object(
                    Bucket=self._bucket, Key=self._name(key), ChecksumMode="ENABLED"
                )
        except ClientError as error:
            if _code(error) in _MISSING:
                return None
            raise
        return response

    def get(self, key: str) -> bytes | None:
        response = self._get_object(key)
        if response is None:
            return None
        with _store_errors():
            data: bytes = response["Body"].read()
        expected = response.get("Metadata", {}).get("sha256")
        if expected is not None and sha256_hex(data) != expected:
            raise ChecksumMismatch(f"stored blob {key!r} no longer hashes to {expected}")
        return data

    def open_chunks(self, key: str) -> Iterator[bytes] | None:
        response = self._get_object(key)
        return None if response is None else _body_chunks(response["Body"])

    def exists(self, key: str) -> bool:
        try:
            with _store_errors():
                self._client.head_object(Bucket=self._bucket, Key=self._name(key))
        except ClientError as error:
            if _code(error) in _MISSING:
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        # DeleteObject of a missing key succeeds, as unlink(missing_ok=True) does locally
        with _store_errors():
            self._client.delete_object(Bucket=self._bucket, Key=self._name(key))

    def iter_blobs(self, prefix: str = "") -> Iterator[BlobInfo]:
        pages = iter(
            self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self._bucket, Prefix=self._prefix + prefix
            )
        )
        while True:  # one page (1000 keys) at a time, however many the bucket holds
            with _store_errors():
                page = next(pages, None)
            if page is None:
                return
            for item in page.get("Contents", []):
                yield BlobInfo(
                    item["Key"][len(self._prefix) :],
                    int(item["Size"]),
                    item["LastModified"].astimezone(UTC),
                )


def _body_chunks(body: Any) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(CHUNK_BYTES)
    finally:
        body.close()
