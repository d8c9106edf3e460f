"""A thin client of the wire contract (v1, plus v2's signed chain) over a
:class:`sync.http_transport.Transport` (``requests`` in this process, or the tray app's
network helper).

Every call has a timeout; every answer >= 400 becomes :class:`ApiError` carrying the
server's ``detail``; no answer at all is a :class:`sync.errors.TransportError`. No
retries here: :mod:`sync.retry` decides, the uploader repeats.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from diarychain.ingest import SignedRun
from sync.errors import ApiError, WireError
from sync.http_transport import Answer, Transport
from sync.uploader import SlotReceipt
from sync.wire import (
    BatchItem,
    batch_body,
    batch_receipt,
    chain_body,
    hourly_contracts,
    iso,
    slot_body,
    slot_receipt,
)
from tracker.contract import Contract
from tracker.model import Slot

API_PREFIX = "/api/v1"
# (connect, read) seconds: a dead server is noticed fast; a slow shot upload is not cut
DEFAULT_TIMEOUT: tuple[float, float] = (5.0, 30.0)
# the offline probe: a server that cannot answer its no-op health check in this is down
PROBE_TIMEOUT: tuple[float, float] = (3.0, 5.0)


@dataclass(frozen=True)
class TokenGrant:
    token: str
    email: str
    role: str
    display_name: str


class ApiClient:
    """One server, one bearer token (or none, to sign in). Used from the uploader's thread;
    its few shot-upload threads share the transport (both kinds are thread-safe).

    Without a ``transport`` the client makes its own ``requests`` one and closes it with
    itself; a given one is shared (the tray app's helper) and outlives the client."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        transport: Transport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self._shared = transport
        self._transport = transport if transport is not None else _own_transport()

    def close(self) -> None:
        if self._shared is None:
            self._transport.close()

    def with_token(self, token: str) -> ApiClient:
        return ApiClient(self.base_url, token, timeout=self.timeout, transport=self._shared)

    # --- auth ---------------------------------------------------------------------

    def issue_token(self, email: str, password: str) -> TokenGrant:
        body = self._json("POST", "/auth/token", json={"email": email, "password": password})
        user = body.get("user") if isinstance(body, dict) else None
        if not isinstance(body, dict) or not isinstance(user, dict):
            raise WireError("the server's token answer is not understood")
        return TokenGrant(
            token=str(body["access_token"]),
            email=str(user.get("email", email)),
            role=str(user.get("role", "")),
            display_name=str(user.get("display_name", "")),
        )

    def revoke_token(self) -> None:
        self._request("DELETE", "/auth/token")

    # --- contracts ------------------------------------------------------------------

    def my_contracts(self, fetched_at: datetime) -> list[Contract]:
        return hourly_contracts(self._json("GET", "/me/contracts"), fetched_at)

    # --- slots (the uploader's port) -------------------------------------------------

    def register_device(self, public_key: str) -> None:
        """``POST /devices``: the server verifies what this key signs (idempotent)."""
        self._request("POST", "/devices", json={"public_key": public_key})

    def post_chain(self, contract_id: int, run: SignedRun) -> None:
        """``POST /contracts/{id}/chain``: entries sent on their own (deletions, gaps)."""
        self._request("POST", f"/contracts/{contract_id}/chain", json=chain_body(run))

    def put_slot(
        self, slot: Slot, client_time: datetime, run: SignedRun | None = None
    ) -> SlotReceipt:
        body = slot_body(slot, client_time, run)
        receipt = slot_receipt(
            self._json("PUT", _slot_path(slot.contract_id, slot.slot_start), json=body)
        )
        return SlotReceipt(
            over_limit_minutes=receipt.over_limit_minutes, shot_expected=receipt.shot_expected
        )

    def put_slots(
        self,
        contract_id: int,
        slots: list[Slot],
        client_time: datetime,
        runs: Sequence[SignedRun | None] = (),
    ) -> list[BatchItem]:
        """``POST /contracts/{id}/slots``: the per-slot results, in the order sent."""
        answer = self._json(
            "POST", f"/contracts/{contract_id}/slots",
            json=batch_body(slots, client_time, runs),
        )
        return batch_receipt(answer, slots)

    def health(self) -> None:
        """The cheap probe while offline: no database, no auth. Raises if unanswered."""
        self._request("GET", "/health", timeout=PROBE_TIMEOUT)

    def put_shot(self, slot: Slot, image: bytes) -> None:
        if slot.shot is None:
            raise ValueError(f"slot {slot.key} has no shot to upload")
        self._request(
            "PUT",
            _slot_path(slot.contract_id, slot.slot_start) + "/shot",
            data=image,
            headers={"Content-Type": slot.shot.media_type},
        )

    def delete_slot(self, contract_id: int, slot_start: datetime) -> None:
        self._request("DELETE", _slot_path(contract_id, slot_start))

    # --- plumbing -------------------------------------------------------------------

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._request(method, path, **kwargs)
        try:
            return response.json()
        except ValueError as error:
            # a proxy's HTML error page or a cut body: the server did not answer us
            raise WireError(f"{method} {path}: the answer is not JSON") from error

    def _request(self, method: str, path: str, *, json: Any = None, data: bytes | None = None,
                 headers: dict[str, str] | None = None,
                 timeout: tuple[float, float] | None = None) -> Answer:
        headers = dict(headers or {})
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        if json is not None:
            data = _json_body(json)
            headers["Content-Type"] = "application/json"
        answer = self._transport.request(
            method, self.base_url + API_PREFIX + path, headers=headers,
            timeout=timeout if timeout is not None else self.timeout, body=data)
        if answer.status >= 400:
            raise ApiError(answer.status, _reason(answer), _retry_after(answer))
        return answer


def _json_body(value: Any) -> bytes:
    return json.dumps(value, allow_nan=False).encode()


def _own_transport() -> Transport:
    from sync.requests_transport import RequestsTransport  # only where no transport is given

    return RequestsTransport()


def _slot_path(contract_id: int, slot_start: datetime) -> str:
    return f"/contracts/{contract_id}/slots/{quote(iso(slot_start), safe='')}"


def _reason(response: Answer) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        detail = body.get("detail")
        if isinstance(detail, str):
            return detail
        if isinstance(detail, list) and detail:
            # FastAPI validation errors: a list of {loc, msg}
            first = detail[0]
            if isinstance(first, dict):
                where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
                return f"{where}: {first.get('msg', 'invalid')}" if where else str(first.get("msg"))
    text = response.text.strip()
    return text[:200] if text else f"HTTP {response.status} {response.reason}".strip()


def _retry_after(response: Answer) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None  # an HTTP date: rare; our own backoff applies
