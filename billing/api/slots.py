"""Slot ingest (the wire contract), shots, deletion and the diary."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status
from pydantic import TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.types import Message
from typing_extensions import TypedDict  # pydantic reads a TypedDict of it (Python < 3.12)

from billing.access import ContractId
from billing.api import present, schemas
from billing.api.deps import (
    BEARER_DOCUMENTED,
    BlobsDep,
    ClockDep,
    FreelancerCaller,
    FreelancerContract,
    FreelancerContractChecked,
    Handler,
    PartyContract,
    ReadSessionsDep,
    SessionDep,
    SessionsDep,
    SettingsDep,
    authorized_first,
    freelancer_caller,
    token_refused,
)
from billing.api.responses import CONTRACT_READ, CONTRACT_WRITE, Problem
from billing.api.uploads import spooled
from billing.blob_http import blob_response
from billing.db.errors import Invalid, NotFound, Unauthorized
from billing.db.models import Role
from billing.domain.slots import SlotBody
from billing.domain.weeks import WEEK, week_start_of_date
from billing.services import hourly, hourly_reads, signed_diary, slot_ingest
from billing.services.slot_ingest import SlotPuts
from diarychain.chain import from_wire
from diarychain.ingest import SignedRun
from diarychain.records import RecordError

router = APIRouter(tags=["slots"])

SlotStart = Annotated[
    schemas.Instant,
    Path(description="UTC start of the 10-minute slot, ISO-8601, e.g. 2026-11-23T10:20:00Z"),
]
_IMAGE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            media: {"schema": {"type": "string", "format": "binary"}}
            for media in (
                "image/avif", "image/jpeg", "image/webp", "image/png", "application/octet-stream"
            )
        },
    }
}
_MEDIA = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG": "image/png", b"RIFF": "image/webp"}


def signed_run(chain: schemas.SignedChain) -> SignedRun:
    """The wire's chain as the domain reads it; a malformed entry is a 422."""
    try:
        entries = tuple(from_wire(entry.model_dump()) for entry in chain.entries)
    except RecordError as error:
        raise Invalid(f"malformed chain entry: {error}") from None
    return SignedRun(chain.device_key, entries)


def _body(put: schemas.SlotPut) -> SlotBody:
    return SlotBody(
        minutes=put.minutes,
        activity=tuple((minute.keyboard, minute.mouse) for minute in put.activity),
        memo=put.memo,
        manual=put.manual,
        shot_taken_at=put.shot.taken_at if put.shot else None,
        shot_sha256=put.shot.sha256 if put.shot else None,
        shot_note=put.shot_note,
        client_now=put.client_now,
        clock_jump=put.clock_jump,
        capture_source=put.provenance.capture if put.provenance else None,
        activity_source=put.provenance.activity if put.provenance else None,
        chain=None if put.chain is None else signed_run(put.chain),
    )


async def put_slot(
    slot_start: SlotStart,
    body: schemas.SlotPut,
    caller: FreelancerCaller,
    request: Request,
) -> Response:
    """Store a slot. The same body again: 200, nothing changes. A different body: 409,
    except an audited shrink (fewer minutes, kept ones unchanged; see ``SlotPut``): 200."""
    # the hot path: the caller is authorized by the transaction that stores the slot,
    # shared with the PUTs arriving meanwhile (each answered once it commits); the
    # process's SlotPuts read off the app, not solved as one more dependency per PUT
    puts: SlotPuts = request.app.state.slot_puts
    try:
        outcome = await puts.put(caller, slot_start, _body(body), in_thread=run_in_threadpool)
    except Unauthorized as refused:
        raise token_refused(refused) from None
    return Response(
        receipt_json(outcome),
        status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK,
        media_type="application/json",
    )


class _Receipt(TypedDict):
    """``SlotReceipt``'s fields, as a plain dict to serialize."""

    slot_start: datetime
    created: bool
    over_limit_minutes: int
    shot_expected: bool
    week_logged_minutes: int


_RECEIPT = TypeAdapter(_Receipt)


def receipt_json(outcome: hourly.SlotOutcome) -> bytes:
    """The ``SlotReceipt`` of ``outcome``, as its ``model_dump_json`` writes it: serialized
    straight from the stored slot's values, which need no validating (building the model
    validated each field again, and cost as much as writing it)."""
    return _RECEIPT.dump_json(
        {
            "slot_start": outcome.slot.slot_start,
            "created": outcome.created,
            "over_limit_minutes": outcome.slot.over_limit_minutes,
            "shot_expected": outcome.slot.shot_expected,
            "week_logged_minutes": outcome.week_logged_minutes,
        }
    )


_CONTRACT_ID = TypeAdapter(ContractId)  # the route's parameters, validated as FastAPI does
_SLOT_START = TypeAdapter(SlotStart)


async def _put_slot_directly(request: Request, handled: Handler) -> Response:
    """The single PUT of a well-formed request, without FastAPI's request handling: its
    parameters validated by the same types, the JSON body by ``SlotPut`` itself (parsed
    and validated in one pass, where FastAPI decodes it to Python objects first, then
    validates those). Solving the route's parameters took more of a PUT's time on the
    event loop than the rest of its handling. Any other request (another content type,
    a body that failed to arrive, anything malformed) is FastAPI's (``handled``): it
    answers it as it always has, in the API's order of refusals, with its 422 body."""
    if request.headers.get("content-type") != "application/json":
        return await handled(request)
    try:
        raw = await request.body()
    except Exception as error:  # FastAPI says what a body that did not arrive gets
        return await handled(Request(request.scope, _raising(error)))
    try:
        contract_id = _CONTRACT_ID.validate_python(request.path_params["contract_id"])
        slot_start = _SLOT_START.validate_python(request.path_params["slot_start"])
        body = schemas.SlotPut.model_validate_json(raw)
    except ValidationError:
        return await handled(request)  # the request holds its body: it is not read again
    return await put_slot(slot_start, body, await freelancer_caller(request, contract_id), request)


def _raising(error: Exception) -> Callable[[], Awaitable[Message]]:
    async def receive() -> Message:
        raise error

    return receive


# added, not decorated: its route class checks a malformed PUT's caller first, and
# stores a well-formed one directly
router.add_api_route(
    "/contracts/{contract_id}/slots/{slot_start}",
    put_slot,
    methods=["PUT"],
    response_model=schemas.SlotReceipt,
    responses={
        **CONTRACT_WRITE,
        201: {"model": schemas.SlotReceipt, "description": "slot stored"},
        409: {
            "model": Problem,
            "description": "a different body is held, the week is locked or finalized, the "
            "slot is before the contract started or after it ended, or not hourly",
        },
        422: {
            "model": Problem,
            "description": "malformed slot, a slot from the future, or off the grid",
        },
    },
    openapi_extra=BEARER_DOCUMENTED,
    route_class_override=authorized_first(Role.FREELANCER, direct=_put_slot_directly),
)


@router.post("/contracts/{contract_id}/slots", responses=CONTRACT_WRITE)
async def put_slots(
    batch: schemas.SlotBatch,
    access: FreelancerContractChecked,
    sessions: SessionsDep,
    settings: SettingsDep,
) -> schemas.SlotBatchReceipt:
    """Store many slots at once, each by the rules of the single PUT (idempotent per slot);
    one slot refused does not stop the others: each result carries its own status."""
    contract_id, now = access.contract_id, access.now
    items = [(item.slot_start, _body(item)) for item in batch.slots]

    def store() -> list[hourly.BatchItemOutcome]:
        skew = settings.future_skew
        return slot_ingest.put_slots(sessions, contract_id, items, now=now, future_skew=skew)

    outcomes = await run_in_threadpool(store)
    return schemas.SlotBatchReceipt(
        results=[
            schemas.SlotBatchResult(
                slot_start=outcome.slot_start,
                status=outcome.status,
                detail=outcome.detail,
                over_limit_minutes=None
                if outcome.slot is None
                else outcome.slot.over_limit_minutes,
                shot_expected=outcome.slot is not None and outcome.slot.shot_expected,
            )
            for outcome in outcomes
        ]
    )


@router.put(
    "/contracts/{contract_id}/slots/{slot_start}/shot",
    openapi_extra=_IMAGE_BODY,
    responses={
        **CONTRACT_WRITE,
        201: {"model": schemas.ShotStored},
        422: {"model": Problem, "description": "sha256 mismatch, or a malformed request"},
    },
)
async def put_shot(
    slot_start: SlotStart,
    request: Request,
    access: FreelancerContractChecked,
    sessions: SessionsDep,
    read_sessions: ReadSessionsDep,
    blobs: BlobsDep,
    settings: SettingsDep,
    response: Response,
) -> schemas.ShotStored:
    """Upload the slot's image bytes; their SHA-256 must match the slot's ``shot.sha256``.
    At most ``max_shot_bytes`` (larger is 413)."""
    # a catch-up sends several shots at once: authorization and the slot's checks only
    # read, so the only write transaction (SQLite's write lock) is the one naming the blob
    contract_id = access.contract_id
    async with spooled(request, settings.upload_dir, settings.max_shot_bytes) as upload:

        def store() -> schemas.ShotStored:
            with sessions() as session, read_sessions() as reading:
                slot, created = hourly.put_shot(
                    session, blobs, contract_id, slot_start, upload, reading=reading
                )
            response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
            assert slot.shot_sha256 is not None
            return schemas.ShotStored(
                slot_start=slot.slot_start, sha256=slot.shot_sha256, created=created
            )

        return await run_in_threadpool(store)


@router.get(
    "/contracts/{contract_id}/slots/{slot_start}/shot",
    response_class=Response,
    responses={
        **CONTRACT_READ,
        200: {"content": {"image/avif": {}, "image/jpeg": {}, "image/webp": {}, "image/png": {}}}
    },
)
def get_shot(
    slot_start: SlotStart, access: PartyContract, session: SessionDep, blobs: BlobsDep
) -> Response:
    """The slot's shot image, for the contract's parties (and an assigned admin)."""
    key = hourly_reads.shot_blob_key(session, access.contract, slot_start)
    session.close()  # the blob streams to a reader of any speed: hold no connection
    # private and never stored: a shot the freelancer deletes must not outlive it in a
    # browser cache (the companion view's shots are sent the same way)
    cache = {"Cache-Control": "private, no-store"}
    streamed = None if key is None else blob_response(
        blobs, key, media_type_of=_media_type, headers=cache
    )
    if streamed is None:
        raise NotFound("this slot has no uploaded shot")
    return streamed


def _media_type(data: bytes) -> str:
    return next(
        (kind for magic, kind in _MEDIA.items() if data.startswith(magic)),
        "image/avif" if data[4:12] == b"ftypavif" else "application/octet-stream",
    )


@router.delete(
    "/contracts/{contract_id}/slots/{slot_start}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=CONTRACT_WRITE,
)
def delete_slot(
    slot_start: SlotStart,
    access: FreelancerContract,
    session: SessionDep,
    clock: ClockDep,
    blobs: BlobsDep,
) -> None:
    """Freelancer: unbill a synced slot until its week locks (audited; the shot is removed)."""
    hourly.delete_slots(
        session, blobs, access.contract, [slot_start], actor=access.user, now=clock.now()
    )


@router.post(
    "/contracts/{contract_id}/chain",
    responses={
        **CONTRACT_WRITE,
        409: {"model": Problem, "description": "an entry links to none the server holds"},
        422: {"model": Problem, "description": "a malformed entry, a bad hash or signature, "
              "another contract's entry, or a device key not registered to you"},
    },
)
def post_chain(
    chain: schemas.SignedChain, access: FreelancerContract, session: SessionDep, clock: ClockDep
) -> schemas.ChainReceipt:
    """Signed diary entries sent on their own: a deletion ("slot S deleted at T") or a
    declared gap (a slot lost on the machine). Verified and kept, or refused whole; the
    entries before the first bad one are kept. The same entries again: nothing new."""
    kept = signed_diary.keep_entries(session, access.contract, signed_run(chain),
                                     now=clock.now())
    return schemas.ChainReceipt(kept=kept)


@router.get("/contracts/{contract_id}/diary", responses=CONTRACT_READ)
def diary(
    access: PartyContract,
    session: SessionDep,
    day: Annotated[schemas.Day | None, Query(description="one UTC day")] = None,
    week: Annotated[schemas.Day | None, Query(description="any day of the wanted week")] = None,
) -> schemas.DiaryPublic:
    """The contract's slots for a UTC day or a week, with activity, memo and shot URLs."""
    if (day is None) == (week is None):
        raise Invalid("give exactly one of day=YYYY-MM-DD or week=YYYY-MM-DD")
    try:
        if day is not None:
            start: datetime = week_start_of_date(day) + timedelta(days=day.weekday())
            end = start + timedelta(days=1)
        else:
            assert week is not None
            start = week_start_of_date(week)
            end = start + WEEK
    except OverflowError as error:
        raise Invalid("date out of range") from error
    rows = hourly_reads.diary(session, access.contract, start, end)
    return schemas.DiaryPublic(
        contract_id=access.contract.id,
        start=start,
        end=end,
        logged_minutes=sum(slot.minutes for slot, _ in rows),
        slots=[present.slot(slot, dispute_id) for slot, dispute_id in rows],
    )
