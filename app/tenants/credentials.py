"""Format, generation and hashing of tenant API keys and user access tokens.

A credential is ``<kind>_<prefix>.<secret>``: the 8-hex-digit prefix is stored in clear
for lookup, the whole string only as SHA-256. The secret carries 256 bits of entropy, so
a fast hash is enough (no password-style stretching needed).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Literal

Kind = Literal["hk", "ut"]  # hk: tenant API key, ut: user token
_FORMAT = re.compile(r"^(hk|ut)_([0-9a-f]{8})\.([A-Za-z0-9_\-]{43})$")


@dataclass(frozen=True, kw_only=True)
class IssuedCredential:
    plaintext: str  # shown once to the caller, never stored
    prefix: str
    key_hash: str


def credential_hash(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def credential_issue(*, kind: Kind) -> IssuedCredential:
    prefix = secrets.token_hex(4)
    plaintext = f"{kind}_{prefix}.{secrets.token_urlsafe(32)}"
    return IssuedCredential(plaintext=plaintext, prefix=prefix, key_hash=credential_hash(plaintext))


def credential_parse(plaintext: str, *, kind: Kind) -> str | None:
    """The lookup prefix of a well-formed credential of ``kind``, else None."""
    match = _FORMAT.match(plaintext.strip())
    if match is None or match.group(1) != kind:
        return None
    return match.group(2)


def credential_matches(plaintext: str, key_hash: str) -> bool:
    return hmac.compare_digest(credential_hash(plaintext.strip()), key_hash)
