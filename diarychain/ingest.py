"""What a receiver checks on a run of entries it is sent: each entry on its own (its
hash is its record's, the device signed it), and that each links to an entry the
receiver already holds, to the entry before it in the run, or starts a chain — and
that nothing else already follows what it links to: a chain per device and contract is
one line, so a second entry after the same one is a fork, the mark of a diary rewritten
after the fact. A second start is not: a tracker whose data dir was wiped begins its
chain again with the key the keyring kept.

The receiver (the billing server on ingest) keeps every entry that passes, whatever
becomes of the slot it carries, so the next run links to it. A run may repeat entries
already held (the sender lost an answer): they are skipped, not a break.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from diarychain.chain import Break, ChainEntry, check_entry
from diarychain.records import GENESIS

MAX_RUN = 200  # entries one request may carry


def new_entries(
    run: Sequence[ChainEntry], public_hex: str, held: Collection[str],
    followed: Collection[str] = (),
) -> tuple[list[ChainEntry], Break | None]:
    """The entries of ``run`` not in ``held`` (hashes), in order, and the first break;
    the entries before a break are still good to keep. ``followed`` holds the
    prev_hashes of the entries already held on this chain."""
    fresh: list[ChainEntry] = []
    known = set(held)
    taken = set(followed)
    for index, entry in enumerate(run):
        problem = check_entry(entry, public_hex)
        if problem is not None:
            return fresh, Break(index, problem.kind, problem.detail)
        if entry.hash in known:
            continue
        if entry.prev_hash != GENESIS and entry.prev_hash not in known:
            return fresh, Break(index, "link", "its prev_hash names no entry the server holds "
                                "(an entry was dropped, or sent out of order)")
        if entry.prev_hash != GENESIS and entry.prev_hash in taken:
            return fresh, Break(index, "link", "another entry already follows the one it "
                                "links to (the diary was forked or rewritten)")
        fresh.append(entry)
        known.add(entry.hash)
        taken.add(entry.prev_hash)
    return fresh, None


@dataclass(frozen=True)
class SignedRun:
    """What a v2 request carries: the sending device's public key (hex) and the entries
    the server may not hold yet, in chain order; a slot's own entry comes last."""

    device_key: str
    entries: tuple[ChainEntry, ...]
