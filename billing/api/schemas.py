"""Request and response bodies of the v1 API.

Inputs (``*Create``, ``*Put``, ``*Update``) forbid unknown fields; outputs (``*Public``)
are what clients may rely on. Money is ``*_cents`` integers plus ``currency``: integer
minor units by the currency's ISO 4217 exponent (``1000`` is ¥1,000, $10.00 or 1.000
KWD; :mod:`billing.domain.money`); instants are ISO-8601 with a zone (UTC on output).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from billing.domain.slots import CAPTURE_SOURCE_PATTERN

EARLIEST_YEAR, LATEST_YEAR = 1970, 2999


def _utc_in_range(instant: datetime) -> datetime:
    try:
        instant = instant.astimezone(UTC)
    except OverflowError as error:
        raise ValueError("instant out of range") from error
    if not EARLIEST_YEAR <= instant.year <= LATEST_YEAR:
        raise ValueError(f"instant must fall between {EARLIEST_YEAR} and {LATEST_YEAR}")
    return instant


def _day_in_range(day: date) -> date:
    if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        raise ValueError(f"date must fall between {EARLIEST_YEAR} and {LATEST_YEAR}")
    return day


def _no_nul(text: str) -> str:
    if "\x00" in text:
        raise ValueError("text must not contain NUL characters")
    return text


Text = Annotated[str, AfterValidator(_no_nul)]

# an instant with a time zone, given back in UTC; years 1970-2999 (out of range: 422)
Instant = Annotated[AwareDatetime, AfterValidator(_utc_in_range)]
Day = Annotated[date, AfterValidator(_day_in_range)]

Sha256 = Field(pattern=r"^[0-9a-f]{64}$", description="lower-case hex SHA-256")


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- auth -------------------------------------------------------------------------------


class TokenCreate(Input):
    email: Text = Field(min_length=3, max_length=320)
    password: Text = Field(min_length=1, max_length=1000)


class UserPublic(BaseModel):
    id: int
    email: str
    role: Literal["freelancer", "client", "admin"]
    display_name: str


class TokenPublic(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    user: UserPublic


class PartyPublic(BaseModel):
    id: int
    display_name: str


# --- contracts --------------------------------------------------------------------------


class ContractPublic(BaseModel):
    id: int
    kind: Literal["hourly", "fixed"]
    title: str
    your_role: Literal["freelancer", "client", "admin"]
    client: PartyPublic
    freelancer: PartyPublic
    currency: str
    rate_cents: int | None = Field(description="per hour; null on fixed-price contracts")
    weekly_cap_minutes: int | None = Field(description="cap of the current week; null = none")
    next_week_cap_minutes: int | None = Field(description="cap from next week (a cut waits)")
    screenshots_enabled: bool
    blur_screenshots: bool
    manual_time_allowed: bool
    created_at: datetime
    ended_at: datetime | None
    week_start: datetime = Field(description="Monday 00:00 UTC of the current week")
    week_logged_minutes: int
    week_billable_minutes: int
    week_over_limit_minutes: int


class ContractUpdate(Input):
    """Client's changes; only the fields sent change. ``weekly_cap_hours: null`` = no cap."""

    weekly_cap_hours: int | None = Field(default=None, ge=1, le=168)
    screenshots_enabled: bool | None = None
    blur_screenshots: bool | None = None
    manual_time_allowed: bool | None = None


# --- slots ------------------------------------------------------------------------------


class ActivityMinute(Input):
    keyboard: int = Field(ge=0, le=100_000, description="key events in the minute")
    mouse: int = Field(ge=0, le=1_000_000, description="mouse events in the minute")


class ShotInfo(Input):
    taken_at: Instant
    sha256: str = Sha256


ShotNote = Literal["stopped_before_shot", "capture_unavailable", "screenshots_off"]


class Provenance(Input):
    """How the tracker got the slot's shot and activity: a signal for the diaries."""

    capture: str | None = Field(
        default=None, pattern=CAPTURE_SOURCE_PATTERN, max_length=45,
        description="x11, portal (the Wayland Screenshot portal), or none:<reason>; "
        "null when no capture was attempted")
    activity: Literal["input-counts", "idle-watch"] = Field(
        default="input-counts",
        description="keyboard/mouse event counts, or the desktop's idle time (Wayland)")


DeviceKey = Field(pattern=r"^[0-9a-f]{64}$",
                  description="the device's Ed25519 public key, raw 32 bytes in lower-case hex")


class ChainEntryPut(Input):
    """One signed diary entry (``diarychain``): ``hash`` is the SHA-256 of the record's
    canonical encoding with ``prev_hash``; ``signature`` is the device's Ed25519
    signature of ``hash`` (its 64 ASCII hex digits)."""

    record: dict[str, Any] = Field(
        description="kind slot | deletion | gap, contract_id, slot_start, client_clock, "
        "and per kind: memo, manual, minutes [[index, keys, mouse]…], shot_sha256, "
        "capture_note, provenance (slot); reason (gap)")
    prev_hash: str = Sha256
    hash: str = Sha256
    signature: str = Field(pattern=r"^[0-9a-f]{128}$", description="hex Ed25519 signature")


class SignedChain(Input):
    """Wire v2: the device key and the entries the server may not hold yet, in chain
    order. On a slot, its own entry comes last and must record the slot's body."""

    device_key: str = DeviceKey
    entries: list[ChainEntryPut] = Field(min_length=1, max_length=200)


class DeviceCreate(Input):
    public_key: str = DeviceKey


class DevicePublic(BaseModel):
    id: int
    public_key: str
    registered_at: datetime
    created: bool = Field(description="false when this key was already registered to you")


class ChainReceipt(BaseModel):
    kept: int = Field(description="entries new to the server (the rest it held already)")


class SlotPut(Input):
    """One 10-minute slot as the tracker holds it.

    ``activity`` has one entry per tracked minute (empty for manual time). ``client_now``
    is the tracker's clock when sending: a slot may not end after it, nor (beyond a small
    skew) after the server's clock.

    The same body again: 200, nothing changes. A different body for a held slot: 409 —
    except an **audited shrink**: before the week locks (Monday 12:00 UTC), a body with
    strictly fewer minutes whose ``activity`` is the held one with entries taken out
    (kept minutes equal, in order) and the same memo, shot and shot note is applied
    (200): the removed minutes are unbilled and an audit record is written. This is how
    the tracker reports idle time discarded after sync. The batch applies the same rule
    to each of its slots. To drop a slot altogether, DELETE it.

    ``clock_jump`` (optional, default false) says the computer's wall clock jumped
    (changed by hand, NTP step, suspend/resume) while the slot was open. It is a
    **signal, never a penalty**: the tracker already billed no time for the jump, and
    the server bills the slot exactly as without the flag; the diaries show a marker.
    It is not part of the body's identity: resending a held slot with or without it is
    the same body (200); a true flag is kept once the server holds it, never cleared.

    ``provenance`` (optional) says how the shot was taken and where the activity came
    from. Like ``clock_jump`` it is outside the body's identity and kept once known;
    a tracker from before it sends none, which reads as "not reported".

    ``chain`` (wire v2, optional) carries the slot's signed diary entry, after any
    entries of the device the server may not hold yet (see ``SignedChain``). The entry's
    record must be this body (409/422 otherwise, with the reason); the slot is then
    *verified*. A v1 tracker sends no chain: its slots are accepted, *unverified*.
    """

    minutes: int = Field(ge=1, le=10)
    activity: list[ActivityMinute] = Field(default_factory=list, max_length=10)
    memo: Text = Field(default="", max_length=1000)
    manual: bool = False
    shot: ShotInfo | None = None
    shot_note: ShotNote | None = None
    client_now: Instant
    clock_jump: bool = False
    provenance: Provenance | None = None
    chain: SignedChain | None = None

    @model_validator(mode="after")
    def _consistent(self) -> SlotPut:
        if self.manual:
            if self.activity or self.shot is not None:
                raise ValueError("manual time has no activity and no shot")
        elif len(self.activity) != self.minutes:
            raise ValueError(
                f"activity must have one entry per tracked minute ({self.minutes}), "
                f"got {len(self.activity)}"
            )
        if self.shot is not None and self.shot_note is not None:
            raise ValueError("a slot has either a shot or a shot_note, not both")
        return self


class SlotBatchItem(SlotPut):
    """A slot of a batch: its ``slot_start`` plus the body of a single PUT."""

    slot_start: Instant


class SlotBatch(Input):
    """Up to 500 slots of one contract, stored in one transaction."""

    slots: list[SlotBatchItem] = Field(min_length=1, max_length=500)


class SlotBatchResult(BaseModel):
    slot_start: datetime
    status: int = Field(description="201 stored, 200 same body already held, 409/422 refused")
    detail: str | None = Field(description="why a slot was refused")
    over_limit_minutes: int | None
    shot_expected: bool


class SlotBatchReceipt(BaseModel):
    results: list[SlotBatchResult]


class SlotReceipt(BaseModel):
    slot_start: datetime
    created: bool = Field(description="false when the same body was already held")
    over_limit_minutes: int
    shot_expected: bool = Field(description="true while the slot's shot bytes are missing")
    week_logged_minutes: int


class ShotPublic(BaseModel):
    taken_at: datetime
    sha256: str
    uploaded: bool
    url: str | None = Field(description="authorized GET of the image; null until uploaded")


class SlotPublic(BaseModel):
    slot_start: datetime
    minutes: int
    active_minutes: int
    activity_percent: int
    activity: list[ActivityMinute]
    memo: str
    manual: bool
    shot: ShotPublic | None
    shot_note: str | None = Field(
        description="why there is no image: the tracker's reason, or retention_deleted "
        "(the server deleted the shot after the retention period; its sha256 stays)"
    )
    clock_jump: bool = Field(description="the wall clock jumped during the slot; a signal")
    capture_source: str | None = Field(
        default=None, description="x11, portal or none:<reason>; null if not reported")
    activity_source: str | None = Field(
        default=None, description="input-counts or idle-watch; null if not reported")
    verified: bool = Field(
        default=False, description="the body came with a device-signed entry that verified")
    over_limit_minutes: int
    dispute_id: int | None


class DiaryPublic(BaseModel):
    contract_id: int
    start: datetime
    end: datetime
    logged_minutes: int
    slots: list[SlotPublic]


class ShotStored(BaseModel):
    slot_start: datetime
    sha256: str
    created: bool


# --- invoices ---------------------------------------------------------------------------


class InvoiceLinePublic(BaseModel):
    kind: Literal["hours", "supplement"]
    description: str
    week_start: datetime
    logged_minutes: int
    billable_minutes: int
    rate_cents: int
    amount_cents: int
    dispute_id: int | None


class InvoicePublic(BaseModel):
    id: int
    contract_id: int
    kind: Literal["weekly", "supplementary"]
    week_start: datetime
    status: Literal["draft", "issued", "finalized", "void"]
    number: int | None
    currency: str
    total_cents: int
    created_at: datetime
    issued_at: datetime | None
    finalized_at: datetime | None
    available_at: datetime | None
    released_at: datetime | None
    lines: list[InvoiceLinePublic]


# --- disputes ---------------------------------------------------------------------------


class DisputeCreate(Input):
    slot_starts: list[Instant] = Field(min_length=1, max_length=1008)
    reason: Text = Field(min_length=1, max_length=4000)


class MessageCreate(Input):
    body: Text = Field(min_length=1, max_length=4000)


class DisputeResolve(Input):
    outcome: Literal["paid", "not_paid"]
    note: Text = Field(default="", max_length=4000)


class MessagePublic(BaseModel):
    id: int
    author: PartyPublic
    author_role: Literal["freelancer", "client", "admin"]
    body: str
    created_at: datetime


class DisputePublic(BaseModel):
    id: int
    contract_id: int
    invoice_id: int
    week_start: datetime
    status: Literal["open", "paid", "not_paid"]
    reason: str
    slot_starts: list[datetime]
    disputed_minutes: int
    opened_at: datetime
    answer_due_at: datetime = Field(description="the freelancer's deadline to answer")
    assigned_admin_id: int | None
    resolved_at: datetime | None
    resolution_note: str | None
    settled_invoice_id: int | None
    messages: list[MessagePublic]


class DisputeSummary(BaseModel):
    id: int
    contract_id: int
    week_start: datetime
    status: Literal["open", "paid", "not_paid"]
    disputed_minutes: int
    opened_at: datetime
    answer_due_at: datetime
    assigned_admin_id: int | None


# --- balances ---------------------------------------------------------------------------


class BalancePublic(BaseModel):
    currency: str
    pending_cents: int = Field(description="freelancer: earned, in the security period")
    available_cents: int = Field(description="freelancer: withdrawable")
    charged_cents: int = Field(description="client: total charged")
    escrow_cents: int = Field(description="client: held in escrow on their contracts")
