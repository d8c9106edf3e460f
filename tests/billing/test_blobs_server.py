"""The real ``workdiary-server serve`` with the S3 store selected by its settings.

The existing full-week test runs unchanged against a server process whose environment
chooses the S3 store (moto on loopback, credentials through boto3's standard chain):
shots go up through the API, come back streamed, and land in the bucket, not on disk.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.billing.test_server_week import test_a_week_through_the_real_server as full_week
from tests.support.s3 import fresh_bucket, moto_endpoint, s3_client, s3_env  # noqa: F401


@pytest.mark.slow
def test_a_week_through_the_real_server_on_s3(
    database_url: str,
    tmp_path: Path,
    moto_endpoint: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bucket = fresh_bucket(moto_endpoint)
    for name, value in s3_env(moto_endpoint, bucket).items():
        monkeypatch.setenv(name, value)  # the server process inherits this environment
    full_week(database_url, tmp_path)
    listed = s3_client(moto_endpoint).list_objects_v2(Bucket=bucket).get("Contents", [])
    assert len(listed) == 5  # one shot a day, Monday to Friday
    blob_dir = tmp_path / "server" / "blobs"
    assert not blob_dir.exists() or not any(p.is_file() for p in blob_dir.rglob("*"))
