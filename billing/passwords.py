"""Password hashing: argon2id at the configured cost (tests lower it)."""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


@dataclass(frozen=True)
class Passwords:
    """Hashes and checks passwords with argon2id at the configured cost."""

    hasher: PasswordHasher

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
