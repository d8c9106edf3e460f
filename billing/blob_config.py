"""The BlobStore the settings choose: the local directory, or an S3-compatible bucket."""

from __future__ import annotations

from billing.blobs import BlobStore, LocalBlobStore
from billing.config import Settings


def blob_store_for(settings: Settings) -> BlobStore:
    """``settings.blob_store`` = "local" (``data_dir/blobs``, the default) or "s3"."""
    if settings.blob_store == "local":
        return LocalBlobStore(settings.blob_dir)
    if not settings.s3_bucket:
        raise ValueError("the S3 blob store needs WORKDIARY_S3_BUCKET")
    # imported here: the embedded set-up never loads boto3
    from billing.blob_s3 import S3BlobStore, S3Location, make_s3_client

    secret = settings.s3_secret_access_key
    location = S3Location(
        bucket=settings.s3_bucket,
        endpoint_url=settings.s3_endpoint_url,
        region=settings.s3_region,
        access_key_id=settings.s3_access_key_id,
        secret_access_key=None if secret is None else secret.get_secret_value(),
    )
    return S3BlobStore(
        make_s3_client(location),
        settings.s3_bucket,
        key_prefix=settings.s3_key_prefix,
        multipart_threshold=settings.s3_multipart_threshold_bytes,
        part_size=settings.s3_part_size_bytes,
    )
