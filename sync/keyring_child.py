"""The keyring helper the app starts (:mod:`sync.secret_backend`): one JSON request per
line on stdin, one JSON answer per line on stdout, until stdin ends.

Requests: ``{"op": "get" | "set" | "delete", "service", "username"[, "password"]}``.
Answers: ``{"ok": true, "value": …}``, or ``{"ok": false, "error": "not-found" |
"keyring", "kind": <the error's class>, "message": …}``. Any failure of the keyring is
an answer, not a crash, so the app falls back to its 0600 files and says why.
"""

from __future__ import annotations

import json
import sys
from typing import IO, Any


def answer(backend: Any, request: dict[str, Any]) -> dict[str, object]:
    import keyring.errors

    op, service, username = request.get("op"), request.get("service"), request.get("username")
    if not isinstance(service, str) or not isinstance(username, str):
        return _refused("keyring", "BadRequest", "service and username must be strings")
    try:
        if op == "get":
            return {"ok": True, "value": backend.get_password(service, username)}
        if op == "set" and isinstance(request.get("password"), str):
            backend.set_password(service, username, request["password"])
            return {"ok": True, "value": None}
        if op == "delete":
            backend.delete_password(service, username)
            return {"ok": True, "value": None}
    except keyring.errors.PasswordDeleteError as error:
        return _refused("not-found", type(error).__name__, str(error))
    except Exception as error:  # a backend's own errors too (D-Bus, a locked collection)
        return _refused("keyring", type(error).__name__, str(error))
    return _refused("keyring", "BadRequest", f"unknown request {op!r}")


def _refused(error: str, kind: str, message: str) -> dict[str, object]:
    return {"ok": False, "error": error, "kind": kind, "message": message}


def serve(requests: IO[str], answers: IO[str]) -> None:
    import keyring

    backend = keyring.get_keyring()
    for line in requests:
        try:
            request = json.loads(line)
        except ValueError:
            request = None
        reply = (answer(backend, request) if isinstance(request, dict)
                 else _refused("keyring", "BadRequest", "not a JSON object"))
        answers.write(json.dumps(reply) + "\n")
        answers.flush()


def run() -> int:
    answers, sys.stdout = sys.stdout, sys.stderr  # a stray print must not break a line
    serve(sys.stdin, answers)
    return 0


if __name__ == "__main__":
    raise SystemExit(run())
