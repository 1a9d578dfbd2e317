"""Password hashes for the operator page: scrypt, salted, from the standard
library (`hashlib.scrypt`, a memory-hard function recommended by OWASP).

A hash is one string, `scrypt$N$r$p$salt$digest` (salt and digest in
URL-safe base64), so its cost can be raised later while old hashes still
verify.
"""

import base64
import hashlib
import hmac
import os

SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
DIGEST_BYTES = 32
MIN_LENGTH = 8
"""The shortest password `keras-dmtl users add` accepts."""


def _b64(data):
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scrypt(password, salt, n, r, p):
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r,
                          p=p, maxmem=256 * n * r + 2**20,
                          dklen=DIGEST_BYTES)


def hash_password(password):
    """A salted scrypt hash of `password`.

    Args:
        password: str.

    Returns:
        str, `scrypt$N$r$p$salt$digest`.

    Example:

    ```python
    stored = hash_password("correct horse battery")
    assert verify_password("correct horse battery", stored)
    ```
    """
    if not isinstance(password, str) or not password:
        raise ValueError("the password is empty")
    salt = os.urandom(SALT_BYTES)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password, stored):
    """Whether `password` matches the hash `stored` (constant-time compare).

    A malformed hash verifies nothing (False), it does not raise.
    """
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = _unb64(digest)
        actual = _scrypt(password, _unb64(salt), int(n), int(r), int(p))
    except (ValueError, AttributeError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def check_new_password(password):
    """Raises `ValueError` with a one-line reason if `password` is too weak
    to store (shorter than `MIN_LENGTH`, or only blanks)."""
    if len(password) < MIN_LENGTH:
        raise ValueError(f"the password must have at least {MIN_LENGTH} "
                         f"characters (it has {len(password)})")
    if not password.strip():
        raise ValueError("the password is only blanks")
