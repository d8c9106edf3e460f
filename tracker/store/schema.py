"""The database's tables, and the steps that bring an older file up to date.

The schema version is kept in ``PRAGMA user_version``. A new file gets :data:`SCHEMA`
at :data:`SCHEMA_VERSION`; an older one gets the steps of :data:`UPGRADES` from its
version on, in order, in one transaction (all or none).
"""

from __future__ import annotations

from tracker.slots import SLOT_MINUTES

SCHEMA_VERSION = 6


def slots_table(name: str) -> str:
    """The slots table as of schema 3 (the 2 → 3 step builds it under another name).

    A later change to this table is a new step; that step must give step 2 a frozen
    copy of this text, so an old file still upgrades through the same tables."""
    return f"""
CREATE TABLE {name} (
    contract_id     INTEGER NOT NULL,
    slot_start      TEXT NOT NULL,              -- slot key, 2026-11-23T14:10:00Z
    memo            TEXT NOT NULL,
    manual          INTEGER NOT NULL DEFAULT 0,
    -- 'off' (schema 3): the contract had screenshots off
    shot_state      TEXT NOT NULL
                    CHECK (shot_state IN ('taken','none','off','unavailable','manual')),
    shot_path       TEXT,                       -- relative to the data dir
    thumb_path      TEXT,
    shot_sha256     TEXT,
    shot_bytes      INTEGER,
    shot_media_type TEXT,
    shot_width      INTEGER,
    shot_height     INTEGER,
    shot_taken_at   TEXT,
    capture_note    TEXT,
    idle_hold       INTEGER NOT NULL DEFAULT 0,
    over_limit      INTEGER NOT NULL DEFAULT 0,
    sync_state      TEXT NOT NULL DEFAULT 'pending'
                    CHECK (sync_state IN ('pending','synced','rejected')),
    sync_reason     TEXT,
    synced_at       TEXT,
    deleted_at      TEXT,                       -- tombstone: deleted after sync
    replaces_synced INTEGER NOT NULL DEFAULT 0,
    server_may_hold INTEGER NOT NULL DEFAULT 0, -- a PUT of it was sent (schema 2)
    clock_jump      INTEGER NOT NULL DEFAULT 0, -- the wall clock jumped (schema 2)
    PRIMARY KEY (contract_id, slot_start)
);
"""


# Schema 4: what the freelancer chose per contract: the last memo (so it survives a
# restart) and the consent to what the contract collects (DOMAIN.md, Consent).
# IF NOT EXISTS: the tests make older files from a new one by undoing only their step.
_CONTRACT_CHOICES_V4 = (
    """CREATE TABLE IF NOT EXISTS contract_memos (
    contract_id INTEGER PRIMARY KEY,
    memo        TEXT NOT NULL,
    changed_at  TEXT NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS consents (
    contract_id INTEGER PRIMARY KEY,
    terms       TEXT NOT NULL,              -- what was shown, as accepted (JSON)
    accepted_at TEXT NOT NULL
)""",
)

SCHEMA = (
    slots_table("slots")
    + f"""CREATE TABLE slot_minutes (
    contract_id  INTEGER NOT NULL,
    slot_start   TEXT NOT NULL,
    minute       INTEGER NOT NULL CHECK (minute BETWEEN 0 AND {SLOT_MINUTES - 1}),
    key_events   INTEGER NOT NULL CHECK (key_events >= 0),
    mouse_events INTEGER NOT NULL CHECK (mouse_events >= 0),
    PRIMARY KEY (contract_id, slot_start, minute),
    FOREIGN KEY (contract_id, slot_start) REFERENCES slots (contract_id, slot_start)
        ON DELETE CASCADE
);
CREATE INDEX slots_sync ON slots (sync_state, slot_start);
CREATE TABLE contracts (
    id                  INTEGER PRIMARY KEY,
    title               TEXT NOT NULL,
    rate_cents          INTEGER NOT NULL,
    currency            TEXT NOT NULL,
    weekly_cap_minutes  INTEGER,
    screenshots_enabled INTEGER NOT NULL,
    blur_shots          INTEGER NOT NULL,
    manual_time_allowed INTEGER NOT NULL,
    active              INTEGER NOT NULL,
    server_week_minutes INTEGER NOT NULL,
    server_week_start   TEXT,
    fetched_at          TEXT
);
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""
    + "".join(statement + ";\n" for statement in _CONTRACT_CHOICES_V4)
)

# 3 → 4 (Wayland): the slot's capture provenance and activity source. Plain added
# columns, so a new file gets them by the same statements (``slots_table`` stays v3).
_PROVENANCE_COLUMNS = (
    # x11 | portal | none:<reason>; NULL: no capture attempted (or a slot from before)
    "ALTER TABLE slots ADD COLUMN capture_source TEXT",
    "ALTER TABLE slots ADD COLUMN activity_source TEXT NOT NULL DEFAULT 'input-counts' "
    "CHECK (activity_source IN ('input-counts','idle-watch'))",
)
SCHEMA += "".join(f"{statement};\n" for statement in _PROVENANCE_COLUMNS)

# Schema 6 (the signed diary, wire v2): this device's chain entries per contract, in the
# order they were signed. ``entry`` is the wire form (record, prev_hash, hash,
# signature); ``acked``: the server answered a request that carried it. A slot's entry
# is its latest one of kind 'slot'; a deletion or a declared gap is an entry of its own.
# IF NOT EXISTS: the tests make older files from a new one by undoing only their step.
_CHAIN_V6 = (
    """CREATE TABLE IF NOT EXISTS chain_entries (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id INTEGER NOT NULL,
    device_key  TEXT NOT NULL,                  -- hex Ed25519 public key that signed it
    slot_start  TEXT NOT NULL,                  -- slot key
    kind        TEXT NOT NULL CHECK (kind IN ('slot','deletion','gap')),
    entry       TEXT NOT NULL,
    hash        TEXT NOT NULL UNIQUE,
    acked       INTEGER NOT NULL DEFAULT 0
)""",
    "CREATE INDEX IF NOT EXISTS chain_entries_slot "
    "ON chain_entries (contract_id, slot_start, seq)",
)
SCHEMA += "".join(f"{statement};\n" for statement in _CHAIN_V6)


_SLOT_COLUMNS_V2 = (
    "contract_id, slot_start, memo, manual, shot_state, shot_path, thumb_path, shot_sha256, "
    "shot_bytes, shot_media_type, shot_width, shot_height, shot_taken_at, capture_note, "
    "idle_hold, over_limit, sync_state, sync_reason, synced_at, deleted_at, replaces_synced, "
    "server_may_hold, clock_jump"
)

# Schema steps: version N → N + 1, applied in order in one transaction at open.
UPGRADES: dict[int, tuple[str, ...]] = {
    # 1 → 2: ``server_may_hold`` and ``clock_jump``. Whatever v1 synced, tombstoned, or
    # saw refused may be on the server; v1 tombstones waited as 'synced', they wait as
    # 'pending' now.
    1: (
        "ALTER TABLE slots ADD COLUMN server_may_hold INTEGER NOT NULL DEFAULT 0",
        "UPDATE slots SET server_may_hold = 1 WHERE sync_state IN ('synced', 'rejected') "
        "OR deleted_at IS NOT NULL OR replaces_synced = 1",
        # ``clock_jump``: the wall clock jumped while the slot was tracked
        "ALTER TABLE slots ADD COLUMN clock_jump INTEGER NOT NULL DEFAULT 0",
        "UPDATE slots SET sync_state = 'pending' "
        "WHERE deleted_at IS NOT NULL AND sync_state = 'synced'",
    ),
    # 2 → 3: shot_state 'off'. SQLite cannot widen a CHECK, so the table is rebuilt (the
    # documented create-copy-drop-rename; foreign keys are off while upgrading). A slot
    # without a shot of a contract the cache says has screenshots off read as "none"
    # and was sent as screenshots_off; it is "off" now.
    2: (
        slots_table("slots_v3"),
        f"INSERT INTO slots_v3 ({_SLOT_COLUMNS_V2}) SELECT {_SLOT_COLUMNS_V2} FROM slots",
        "DROP TABLE slots",
        "ALTER TABLE slots_v3 RENAME TO slots",
        "CREATE INDEX slots_sync ON slots (sync_state, slot_start)",
        "UPDATE slots SET shot_state = 'off' WHERE shot_state = 'none' AND manual = 0 "
        "AND contract_id IN (SELECT id FROM contracts WHERE screenshots_enabled = 0)",
    ),
    # 3 → 4: the last memo and the consent per contract (new tables, nothing to copy)
    3: _CONTRACT_CHOICES_V4,
    # 4 → 5: capture provenance and activity source; older slots were X11 grabs or
    # none, which is not known now, so their provenance stays NULL ("not recorded").
    4: _PROVENANCE_COLUMNS,
    # 5 → 6: the signed diary's chain entries (a new table; older slots have no entry
    # and are signed when they are next sent)
    5: _CHAIN_V6,
}
