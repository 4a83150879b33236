"""Format, generation and hashing of tenant API keys and user access tokens.

A credential is ``<kind>1<prefix><secret>``: a two-letter kind, a format version digit,
an 8-hex-digit lookup prefix stored in clear, and a 43-character base62 secret (256 bits).
Only letters and digits, because API Gateway takes the same API key as its own key value
and accepts only alphanumeric strings of 20 to 128 characters (54 here). The whole string
is stored only as SHA-256; with 256 bits of entropy a fast hash is enough.

Keys issued before this format (``<kind>_<prefix>.<secret>``, base64url secret) still
authenticate, but API Gateway cannot hold them: rotate them before putting a tenant
behind the edge (``docs/runbooks/tenants.md``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
from dataclasses import dataclass
from typing import Literal

Kind = Literal["hk", "ut"]  # hk: tenant API key, ut: user token
VERSION = "1"
SECRET_LENGTH = 43  # 62**43 > 2**256
_BASE62 = string.digits + string.ascii_letters
_FORMAT = re.compile(r"^(hk|ut)1([0-9a-f]{8})([0-9A-Za-z]{43})$")
_LEGACY_FORMAT = re.compile(r"^(hk|ut)_([0-9a-f]{8})\.([A-Za-z0-9_\-]{43})$")
# What API Gateway accepts as an API key value (pulumi-aws ApiKey.value docstring).
EDGE_KEY_VALUE = re.compile(r"^[A-Za-z0-9]{20,128}$")


@dataclass(frozen=True, kw_only=True)
class IssuedCredential:
    plaintext: str  # shown once to the caller, never stored
    prefix: str
    key_hash: str


def credential_hash(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def credential_issue(*, kind: Kind) -> IssuedCredential:
    prefix = secrets.token_hex(4)
    secret = "".join(secrets.choice(_BASE62) for _ in range(SECRET_LENGTH))
    plaintext = f"{kind}{VERSION}{prefix}{secret}"
    return IssuedCredential(plaintext=plaintext, prefix=prefix, key_hash=credential_hash(plaintext))


def credential_parse(plaintext: str, *, kind: Kind) -> str | None:
    """The lookup prefix of a well-formed credential of ``kind`` (either format), else None."""
    value = plaintext.strip()
    match = _FORMAT.match(value) or _LEGACY_FORMAT.match(value)
    if match is None or match.group(1) != kind:
        return None
    return match.group(2)


def credential_is_legacy(plaintext: str) -> bool:
    """True for the pre-edge ``<kind>_<prefix>.<secret>`` format, which API Gateway refuses."""
    return _LEGACY_FORMAT.match(plaintext.strip()) is not None


def credential_matches(plaintext: str, key_hash: str) -> bool:
    return hmac.compare_digest(credential_hash(plaintext.strip()), key_hash)
