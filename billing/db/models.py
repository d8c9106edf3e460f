"""SQLAlchemy 2 models of the billing backend — the one declarative :class:`Base`.

Other packages (fixed-price milestones, the companion web view) add their tables to the
same ``Base`` and migrations on top of revision ``0001_hourly_billing``.

Conventions: ids are integers; instants are aware UTC (:class:`UTCDateTime`); money is
``*_cents`` integers plus a ``currency`` code; enumerations are short strings whose
allowed values live in the ``*Status``/``Role`` classes below.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from billing.db.types import UTCDateTime

# one ContractKind: the domain's (re-exported for callers of the models)
from billing.domain.milestones_model import ContractKind as ContractKind

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# slot ids outgrow 32 bits at scale (~240 M slots a week); SQLite's rowid is 64-bit anyway
SLOT_ID = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    """Declarative base of every backend table (naming convention set for Alembic)."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class Role(StrEnum):
    FREELANCER = "freelancer"
    CLIENT = "client"
    ADMIN = "admin"


class InvoiceStatus(StrEnum):
    DRAFT = "draft"  # closed week, grace period: follows late slots and deletions
    ISSUED = "issued"  # locked, in review: only disputes change it
    FINALIZED = "finalized"  # numbered, charged, immutable
    VOID = "void"  # finalized with nothing to bill: no number, no charge


class InvoiceKind(StrEnum):
    WEEKLY = "weekly"
    SUPPLEMENTARY = "supplementary"  # only carries paid-dispute lines


class DisputeStatus(StrEnum):
    OPEN = "open"
    PAID = "paid"
    NOT_PAID = "not_paid"


class User(Base):
    """A person with one role; ``email`` is stored lower-cased and unique."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    display_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class TokenKind(StrEnum):
    API = "api"  # the desktop app's bearer token: a sliding window, renewed on use
    WEB = "web"  # the companion view's session cookie: an absolute lifetime


class ApiToken(Base):
    """A bearer token or web session; only its SHA-256 is stored. Revoked and expired
    tokens keep their row. ``kind`` keeps the two apart: a web session is never accepted
    as a bearer token, nor an API token as a session (values in :class:`TokenKind`)."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime]
    # API: moved forward on use (sliding); web: fixed at sign-in (absolute)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class SignInThrottle(Base):
    """Failed sign-ins of one subject (an e-mail or a client address) in its current
    window. Kept in the database so every server process counts the same failures."""

    __tablename__ = "sign_in_throttle"
    scope: Mapped[str] = mapped_column(String(10), primary_key=True)  # "account" | "address"
    subject: Mapped[str] = mapped_column(String(320), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[datetime]


class Contract(Base):
    """A contract between one client and one freelancer, in one currency.

    Hourly contracts carry ``rate_cents`` (per hour) and their settings; the weekly cap
    lives in :class:`ContractCap` because a cut applies only from the next week.
    """

    __tablename__ = "contracts"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200))
    client_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    freelancer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    rate_cents: Mapped[int | None]
    screenshots_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    blur_screenshots: Mapped[bool] = mapped_column(Boolean, default=False)
    manual_time_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class ContractCap(Base):
    """The weekly cap in force from ``effective_week_start`` on (``None`` = no cap)."""

    __tablename__ = "contract_caps"
    __table_args__ = (UniqueConstraint("contract_id", "effective_week_start"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    effective_week_start: Mapped[datetime]
    cap_minutes: Mapped[int | None]
    created_at: Mapped[datetime]


class ContractWeek(Base):
    """Running totals of one contract's week, kept by ingest; the close job reads them.

    ``billable_minutes`` are the logged minutes within the cap (slots in arrival order);
    ``closed`` flips once when the week's draft invoice is made, ``shots_expired`` once
    the retention step has deleted every shot of the week (it stays false while an open
    dispute keeps them).
    """

    __tablename__ = "contract_weeks"
    __table_args__ = (
        Index("ix_contract_weeks_closed_week", "closed", "week_start"),
        Index("ix_contract_weeks_shots_expired_week", "shots_expired", "week_start"),
    )
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), primary_key=True)
    week_start: Mapped[datetime] = mapped_column(primary_key=True)
    logged_minutes: Mapped[int] = mapped_column(Integer, default=0)
    billable_minutes: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    # only the retention step reads it, so the other steps' selects and inserts leave it
    # out (and still fit a database at an older revision, which the migration tests seed
    # through today's services); the database fills it
    shots_expired: Mapped[bool] = mapped_column(
        Boolean, server_default=false(), deferred=True
    )


class Slot(Base):
    """A 10-minute slot as the tracker synced it; identified by (contract, slot_start).

    ``activity`` is a list of ``[keyboard, mouse]`` event counts, one per tracked minute.
    ``body_sha256`` fingerprints the synced body so a replay is recognised. Deleted slots
    keep their row (``deleted_at``) for the audit trail; their shot blob is removed.
    """

    __tablename__ = "slots"
    __table_args__ = (
        UniqueConstraint("contract_id", "slot_start"),
        Index("ix_slots_contract_week", "contract_id", "week_start"),
        # the row's key on PostgreSQL, where slots are partitioned by week on slot_start
        # (migration 0004): a unique key there must hold the partition column
        Index("uq_slots_id_slot_start", "id", "slot_start", unique=True),
    )
    id: Mapped[int] = mapped_column(SLOT_ID, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"))
    slot_start: Mapped[datetime]
    week_start: Mapped[datetime]
    minutes: Mapped[int]
    active_minutes: Mapped[int]
    activity: Mapped[list[list[int]]] = mapped_column(JSON)
    memo: Mapped[str] = mapped_column(Text, default="")
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    shot_taken_at: Mapped[datetime | None]
    shot_sha256: Mapped[str | None] = mapped_column(String(64))
    shot_note: Mapped[str | None] = mapped_column(String(40))
    shot_blob_key: Mapped[str | None] = mapped_column(String(200))
    # the tracker saw its wall clock jump during the slot (a signal, billed as usual)
    clock_jump: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # how the tracker took the shot and counted activity (signals; NULL: not reported)
    capture_source: Mapped[str | None] = mapped_column(String(48))
    activity_source: Mapped[str | None] = mapped_column(String(16))
    over_limit_minutes: Mapped[int] = mapped_column(Integer, default=0)
    body_sha256: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # the body came with a device-signed chain entry that verified (wire v2); false: a
    # v1 tracker's slot, "unverified". ``chain_hash`` names that entry.
    verified: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    chain_hash: Mapped[str | None] = mapped_column(String(64))


class Device(Base):
    """A tracker install's Ed25519 public key, registered by its user at sign-in."""

    __tablename__ = "devices"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    public_key: Mapped[str] = mapped_column(String(64), unique=True)
    registered_at: Mapped[datetime]


class ChainEntryRow(Base):
    """A signed diary entry as received (slot, deletion or declared gap), with the
    server's receipt: its receive time beside the client's clock reading."""

    __tablename__ = "chain_entries"
    __table_args__ = (
        UniqueConstraint("device_id", "hash"),
        Index("ix_chain_entries_contract_slot", "contract_id", "slot_start"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"))
    kind: Mapped[str] = mapped_column(String(10))
    slot_start: Mapped[datetime]
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))
    client_clock: Mapped[datetime]
    received_at: Mapped[datetime]


class Invoice(Base):
    """A weekly (or supplementary) invoice of an hourly contract.

    ``number`` is given at finalization, gapless per server; a finalized invoice never
    changes. ``released_at`` records when its pending earnings became available.
    """

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("contract_id", "week_start", "kind"),
        Index("ix_invoices_status_week", "status", "week_start"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    week_start: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    total_cents: Mapped[int] = mapped_column(Integer, default=0)
    number: Mapped[int | None] = mapped_column(unique=True)
    created_at: Mapped[datetime]
    issued_at: Mapped[datetime | None]
    finalized_at: Mapped[datetime | None]
    available_at: Mapped[datetime | None]
    released_at: Mapped[datetime | None]


class InvoiceLine(Base):
    """One line: the week's hours, or a supplement for a dispute resolved paid."""

    __tablename__ = "invoice_lines"
    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # "hours" | "supplement"
    description: Mapped[str] = mapped_column(String(300))
    week_start: Mapped[datetime]
    logged_minutes: Mapped[int]
    billable_minutes: Mapped[int]
    rate_cents: Mapped[int]
    amount_cents: Mapped[int]
    dispute_id: Mapped[int | None] = mapped_column(ForeignKey("disputes.id"))


class InvoiceCounter(Base):
    """The last invoice number given; locked while numbering, hence gapless."""

    __tablename__ = "invoice_counters"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_number: Mapped[int]


class Dispute(Base):
    """A client's dispute of slots of one issued invoice, moderated by an admin."""

    __tablename__ = "disputes"
    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    week_start: Mapped[datetime]
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True)
    disputed_minutes: Mapped[int]
    opened_at: Mapped[datetime]
    answer_due_at: Mapped[datetime]
    assigned_admin_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolution_note: Mapped[str | None] = mapped_column(Text)
    settled_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))


class DisputeSlot(Base):
    """A slot under dispute; a slot is disputed at most once."""

    __tablename__ = "dispute_slots"
    # a partitioned table can only be referenced by a key that holds its partition column
    __table_args__ = (
        ForeignKeyConstraint(["slot_id", "slot_start"], ["slots.id", "slots.slot_start"]),
    )
    slot_id: Mapped[int] = mapped_column(SLOT_ID, primary_key=True)
    slot_start: Mapped[datetime]
    dispute_id: Mapped[int] = mapped_column(ForeignKey("disputes.id"), index=True)


class DisputeMessage(Base):
    __tablename__ = "dispute_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("disputes.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class AuditRecord(Base):
    """Who did what, when, to which thing (slot deletions, cap changes, resolutions)."""

    __tablename__ = "audit_records"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(60))
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class LedgerAccount(Base):
    """One ledger account; ``code`` is :attr:`billing.domain.ledger.AccountKey.code`."""

    __tablename__ = "ledger_accounts"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    currency: Mapped[str] = mapped_column(String(3))
    owner_id: Mapped[int | None]


class LedgerTransfer(Base):
    """A double-entry transfer; balances are sums over these rows."""

    __tablename__ = "ledger_transfers"
    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    source_account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    destination_account_id: Mapped[int] = mapped_column(
        ForeignKey("ledger_accounts.id"), index=True
    )
    amount_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    reference: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]


class JobRun(Base):
    """One run of the scheduled jobs: the instant it ran for and what it changed."""

    __tablename__ = "job_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_for: Mapped[datetime]
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
