"""A real S3 API on loopback for tests: ``moto[server]`` in a thread.

- ``moto_endpoint`` – session fixture: the server's ``http://127.0.0.1:<port>``;
- ``fresh_bucket(endpoint)`` – a new, empty bucket name on it;
- ``s3_env(endpoint, bucket)`` – the environment a ``workdiary-server`` process needs to
  use that bucket (credentials through boto3's standard ``AWS_*`` chain).

Register the fixture in a conftest with ``from tests.support.s3 import moto_endpoint  # noqa``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from moto.server import ThreadedMotoServer

from billing.blob_s3 import S3Location, make_s3_client

ACCESS_KEY = "test-access-key"
SECRET_KEY = "test-secret-key"
REGION = "us-east-1"


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def s3_client(endpoint: str) -> Any:
    return make_s3_client(
        S3Location(
            bucket="unused",
            endpoint_url=endpoint,
            region=REGION,
            access_key_id=ACCESS_KEY,
            secret_access_key=SECRET_KEY,
        )
    )


def fresh_bucket(endpoint: str) -> str:
    name = f"wd-test-{uuid.uuid4().hex[:12]}"
    s3_client(endpoint).create_bucket(Bucket=name)
    return name


def s3_env(endpoint: str, bucket: str) -> dict[str, str]:
    return {
        "WORKDIARY_BLOB_STORE": "s3",
        "WORKDIARY_S3_BUCKET": bucket,
        "WORKDIARY_S3_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_DEFAULT_REGION": REGION,
    }
