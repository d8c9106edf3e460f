"""Password hashing: argon2id at the configured cost (tests lower it)."""

from __future__ import annotations

from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# hashed once per cost, only so an unknown e-mail has something of the same cost to verify
_DUMMY_PASSWORD = "not-a-real-password"


@dataclass(frozen=True)
class Passwords:
    """Hashes and checks passwords with argon2id at the configured cost."""

    hasher: PasswordHasher
    _dummy_hash: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # made up front, so the first unknown e-mail costs no extra hash either
        object.__setattr__(self, "_dummy_hash", self.hasher.hash(_DUMMY_PASSWORD))

    @classmethod
    def with_cost(cls, time_cost: int, memory_kib: int, parallelism: int) -> Passwords:
        return cls(
            PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)
        )

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def verify_nothing(self, password: str) -> None:
        """Spend one verify's time on no account: an unknown e-mail must cost what a
        known one does, so the answer's timing does not tell them apart. (Hashing here
        instead would cost a hash *and* a verify: measurably slower.)"""
        self.verify(self._dummy_hash, password)
