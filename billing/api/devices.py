"""``/devices``: the tracker registers its install's public key at sign-in (wire v2)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from billing.api import schemas
from billing.api.deps import ClockDep, CurrentUser, SessionDep
from billing.api.responses import Problem, errors
from billing.services import signed_diary

router = APIRouter(tags=["devices"])


@router.post(
    "/devices",
    responses={
        **errors(400, 401, 413, 422),
        201: {"model": schemas.DevicePublic, "description": "key registered"},
        409: {"model": Problem, "description": "the key is registered to another account"},
    },
)
def register_device(
    body: schemas.DeviceCreate,
    user: CurrentUser,
    session: SessionDep,
    clock: ClockDep,
    response: Response,
) -> schemas.DevicePublic:
    """Register this device's Ed25519 public key; the server then verifies the slots it
    signs. The same key again: 200, nothing changes."""
    device, created = signed_diary.register_device(
        session, user, body.public_key, now=clock.now()
    )
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return schemas.DevicePublic(
        id=device.id, public_key=device.public_key, registered_at=device.registered_at,
        created=created,
    )
