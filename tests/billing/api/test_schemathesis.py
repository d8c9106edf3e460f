"""Schemathesis against the live OpenAPI document: no input, valid or not, gets a 500,
and no answer has a status the document does not list for its operation (schemathesis's
``status_code_conformance``, ST103).

Every operation is fuzzed with schema-conforming and schema-violating cases (a bounded
number each), as the freelancer and as the client, with the contract id fixed to a real
contract so the handlers behind authorization run too (the authorization matrix covers
strangers).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import status_code_conformance

from tests.billing.support import Backend, iso
from tracker.clock import utc

MAX_EXAMPLES = 5


def _fuzz(
    backend: Backend, operation: Any, mode: GenerationMode, token: str, fixed: dict[str, Any]
) -> None:
    path_parameters = {k: v for k, v in fixed.items() if "{" + k + "}" in operation.path}
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters or None)
    http = requests.Session()

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        response = case.call(
            base_url=backend.client.base_url,
            session=http,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} → {response.status_code}: {response.text[:300]}"
        )
        if response.status_code >= 400:
            assert response.json().get("detail"), "a refusal says what is wrong"
        case.validate_response(response, checks=[status_code_conformance])

    try:
        run()
    except Unsatisfiable:
        # an operation with nothing to violate (no parameters, no body) has no negative case
        assert mode is GenerationMode.NEGATIVE, operation.path
    finally:
        http.close()


def test_no_input_gets_a_server_error(sqlite_backend: Backend) -> None:
    backend = sqlite_backend
    client, freelancer = backend.user("client"), backend.user("freelancer")
    contract = backend.hourly(client, freelancer, manual=True)
    backend.clock.set(utc(2026, 11, 4, 12))
    first = utc(2026, 11, 3, 9)
    backend.log_hours(freelancer, contract, first, 3)
    schema = schemathesis.openapi.from_dict(backend.client.app.openapi())
    fixed = {"contract_id": contract, "slot_start": iso(first + timedelta(minutes=10))}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:
        if operation.path == "/api/v1/auth/token" and operation.method.upper() == "DELETE":
            continue  # revoking the fuzzer's own token would turn the rest into 401s
        for user in (freelancer, client):
            token = backend.tokens[user.id]
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                # contract routes: a real contract id, so handlers past authorization run
                _fuzz(backend, operation, mode, token, fixed)
