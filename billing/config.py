"""Server settings: where data lives, which database and blob store, secrets, and limits.

:class:`Settings` is a pydantic-settings model: every field can come from the
environment as ``WORKDIARY_<FIELD>`` (``WORKDIARY_WEB_SECRET``, ``WORKDIARY_BLOB_STORE``,
``WORKDIARY_S3_BUCKET``, ``WORKDIARY_MAX_SHOT_BYTES`` …), the database also from
``DATABASE_URL``. Keyword arguments win over the environment, so tests build
``Settings(...)`` directly (e.g. a cheap argon2 cost) and the CLI calls
``Settings.from_env(data_dir)``. Several servers behind one load balancer need the same
``database_url``, ``web_secret`` and blob store, and nothing else in common.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from billing.db.session import SQLITE_SYNCHRONOUS, sqlite_url
from billing.domain.retention import DEFAULT_RETENTION_DAYS, MAX_RETENTION_DAYS, ShotRetention

MIB = 1024 * 1024


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("Workdiary-server"))


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class Settings(BaseSettings):
    """Everything the composition root needs to wire the server."""

    model_config = SettingsConfigDict(
        env_prefix="WORKDIARY_", frozen=True, extra="forbid", populate_by_name=True
    )

    data_dir: Path = Field(default_factory=default_data_dir)
    # None → SQLite file in data_dir
    database_url: str | None = Field(
        default=None,
        validation_alias=_env("database_url", "DATABASE_URL", "WORKDIARY_DATABASE_URL"),
    )
    # argon2id cost; production defaults from argon2-cffi, tests lower them
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65536, ge=8)
    argon2_parallelism: int = Field(default=4, ge=1)
    # a slot may end at most this far after the server's clock (clients' clocks drift)
    future_skew: timedelta = timedelta(minutes=5)
    max_shot_bytes: int = Field(default=20 * MIB, gt=0)
    # request bodies (billing.api.body_limits): JSON and forms, a batch of slots, a file
    # handed in with a milestone; larger bodies are refused with 413 before or while read
    max_body_bytes: int = Field(default=64 * 1024, gt=0)
    max_batch_bytes: int = Field(default=1 * MIB, gt=0)
    max_attachment_bytes: int = Field(default=25 * MIB, gt=0)
    # a body that sends nothing for this long is answered 408 (slow or stalled clients)
    body_read_timeout_seconds: float = Field(default=10.0, gt=0)
    # and one that takes longer than this in all, however it trickles
    body_total_timeout_seconds: float = Field(default=300.0, gt=0)
    platform_fee_basis_points: int = Field(default=0, ge=0, le=10_000)
    sqlite_synchronous: str = "FULL"
    # seconds between scheduler runs inside `serve`; 0 disables the scheduler
    jobs_interval_seconds: float = Field(
        default=60.0,
        ge=0,
        validation_alias=_env(
            "jobs_interval_seconds", "WORKDIARY_JOBS_INTERVAL_SECONDS", "WORKDIARY_JOBS_INTERVAL"
        ),
    )
    # signs the companion view's cookies; None → a random key kept in data_dir (one server)
    web_secret: SecretStr | None = Field(default=None, min_length=32)
    # where shots and attachments go: "local" (data_dir/blobs) or "s3"
    blob_store: Literal["local", "s3"] = "local"
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None  # None → AWS; set for other S3-compatible services
    s3_region: str | None = None
    # None → boto3's standard chain (AWS_* variables, config files, instance roles)
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    s3_key_prefix: str = ""
    s3_multipart_threshold_bytes: int = Field(default=8 * MIB, gt=0)
    s3_part_size_bytes: int = Field(default=8 * MIB, ge=5 * MIB)
    # the desktop app's bearer token expires after this long unused (each use renews it)
    api_token_idle_lifetime: timedelta = Field(default=timedelta(days=30), gt=timedelta(0))
    # a companion-view session ends this long after sign-in, however much it is used
    web_session_lifetime: timedelta = Field(default=timedelta(hours=12), gt=timedelta(0))
    # the companion view's public origin (https://billing.example) when a proxy in front
    # changes scheme or host; None → the origin each request was addressed to
    web_origin: str | None = None
    # failed sign-ins allowed per e-mail and per client address in one window (then 429)
    sign_in_account_failures: int = Field(default=10, ge=1)
    sign_in_address_failures: int = Field(default=100, ge=1)
    sign_in_window: timedelta = Field(default=timedelta(minutes=15), gt=timedelta(0))
    # PostgreSQL: weekly slot partitions the jobs keep created ahead of the current week
    slot_partitions_ahead: int = Field(default=4, ge=1, le=520)
    # shots are deleted this many days after their week's finalization, except while an
    # open dispute concerns the week (billing.services.retention, a job step)
    shot_retention_days: int = DEFAULT_RETENTION_DAYS

    @field_validator(
        "database_url",
        "s3_bucket",
        "s3_endpoint_url",
        "s3_region",
        "s3_access_key_id",
        "web_secret",
        "web_origin",
        "s3_secret_access_key",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator(
        "api_token_idle_lifetime", "web_session_lifetime", "sign_in_window", mode="before"
    )
    @classmethod
    def _seconds_or_iso_duration(cls, value: object) -> object:
        # WORKDIARY_WEB_SESSION_LIFETIME=43200 (seconds) as well as ISO 8601 (PT12H)
        if isinstance(value, str):
            try:
                return timedelta(seconds=float(value))
            except ValueError:
                return value
        return value

    @field_validator("sqlite_synchronous", mode="before")
    @classmethod
    def _synchronous_mode(cls, value: object) -> str:
        mode = str(value).upper()
        if mode not in SQLITE_SYNCHRONOUS:
            raise ValueError(f"must be one of {', '.join(SQLITE_SYNCHRONOUS)}")
        return mode

    @field_validator("shot_retention_days", mode="before")
    @classmethod
    def _whole_days(cls, value: object) -> int:
        # say what is wanted, not which parse failed (WORKDIARY_SHOT_RETENTION_DAYS=1.5)
        text = "" if isinstance(value, bool) else str(value).strip()
        if re.fullmatch(r"[0-9]{1,6}", text) is None or not 1 <= int(text) <= MAX_RETENTION_DAYS:
            raise ValueError(
                f"must be a whole number of days from 1 to {MAX_RETENTION_DAYS}, got {value!r}"
            )
        return int(text)

    @property
    def shot_retention(self) -> ShotRetention:
        return ShotRetention.of_days(self.shot_retention_days)

    @property
    def url(self) -> str:
        return self.database_url or sqlite_url(self.data_dir)

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def upload_dir(self) -> Path:
        """Where request bodies are spooled (beside the blobs, so a rename moves them in)."""
        return self.data_dir / "incoming"

    @classmethod
    def from_env(cls, data_dir: Path | None = None, **overrides: object) -> Settings:
        """Settings from the environment; ``data_dir`` and ``overrides`` win over it."""
        values: dict[str, object] = dict(overrides)
        if data_dir is not None:
            values["data_dir"] = data_dir
        return cls(**values)  # type: ignore[arg-type]
