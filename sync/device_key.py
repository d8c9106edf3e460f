"""This install's Ed25519 device key: created on first use, kept like the sign-in token.

The private key goes into the OS keyring (service ``Workdiary``, entry ``device-key``),
or, where there is none, into ``device-key.json`` (mode 0600) beside the token's
fallback file, with the same warning (:mod:`sync.credentials`). The public half is what
sign-in registers with the server; the uploader signs each slot it sends with it.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from diarychain.keys import DeviceKey, DeviceKeyError
from sync.credentials import SERVICE, CredentialStore, read_private_file, write_private_file
from sync.secret_backend import SecretStoreError

log = logging.getLogger(__name__)

KEY_ENTRY = "device-key"
KEY_FILE_NAME = "device-key.json"


class DeviceKeyStore:
    """Loads this install's key, creating and saving it the first time. Lives beside a
    :class:`CredentialStore` (its keyring backend and config dir)."""

    def __init__(self, credentials: CredentialStore) -> None:
        self._credentials = credentials
        self._key: DeviceKey | None = None

    @property
    def fallback_path(self) -> Path:
        return self._credentials.fallback_path.with_name(KEY_FILE_NAME)

    def key(self) -> DeviceKey:
        if self._key is None:
            self._key = self._load() or self._create()
        return self._key

    def _load(self) -> DeviceKey | None:
        try:
            secret = self._credentials.backend.get_password(SERVICE, KEY_ENTRY)
        except SecretStoreError as error:
            self._credentials.warn_fallback(error)
            secret = None
        if secret is None:
            secret = read_private_file(self.fallback_path)
        if secret is None:
            return None
        try:
            return DeviceKey.from_private_bytes(bytes.fromhex(json.loads(secret)["private"]))
        except (ValueError, KeyError, TypeError, DeviceKeyError):
            log.error("the stored device key is unreadable; this install gets a new one "
                      "(its slots start a new chain)")
            return None

    def _create(self) -> DeviceKey:
        key = DeviceKey.generate()
        secret = json.dumps({"private": key.private_bytes().hex()})
        try:
            self._credentials.backend.set_password(SERVICE, KEY_ENTRY, secret)
        except SecretStoreError as error:
            self._credentials.warn_fallback(error)
            write_private_file(self.fallback_path, secret)
        log.info("created this install's device key %s…", key.public_hex()[:16])
        return key
