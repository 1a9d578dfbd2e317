"""Signed session cookies and CSRF tokens for the operator page.

The cookie holds `{"user", "csrf"}` signed with the server's secret
(itsdangerous, HMAC-SHA1 over a timestamped payload): the browser can read
nothing it could change, a forged or expired cookie is no session. It is
sent `HttpOnly` (no script reads it), `SameSite=Strict` (no other site's
form carries it) and `Secure` when the page is served over HTTPS.

Every form carries the session's CSRF token; a POST whose token does not
match the cookie's is refused. Before signing in, a short-lived signed
`pre-session` cookie carries the sign-in form's token.
"""

import hashlib
import secrets

from itsdangerous import BadSignature
from itsdangerous import URLSafeTimedSerializer

SESSION_COOKIE = "keras_dmtl_session"
SIGN_IN_COOKIE = "keras_dmtl_sign_in"


class SessionSigner:
    """Makes and reads the signed cookies of the operator page.

    Args:
        secret: str or bytes, the signing key (at least 32 characters).
        max_age: float, seconds a session lasts.
        secure: bool, whether cookies are only sent over HTTPS.

    Example:

    ```python
    signer = SessionSigner(secrets.token_hex(32))
    value = signer.session_value("operator")
    assert signer.read_session(value)["user"] == "operator"
    ```
    """

    def __init__(self, secret, max_age=12 * 3600, secure=False):
        if len(secret) < 32:
            raise ValueError("the session secret must have at least 32 "
                             "characters")
        self.secret = secret
        self.max_age = float(max_age)
        self.secure = bool(secure)
        self._sessions = URLSafeTimedSerializer(secret,
                                                salt="keras-dmtl-session")
        self._sign_in = URLSafeTimedSerializer(secret,
                                               salt="keras-dmtl-sign-in")

    def session_value(self, user, mark=""):
        """The cookie value of a new session for `user`, with a new CSRF
        token and the `password_mark` of the user's stored hash."""
        return self._sessions.dumps({"user": user, "mark": mark,
                                     "csrf": secrets.token_urlsafe(32)})

    def read_session(self, value):
        """The session `{"user", "mark", "csrf"}`, or None if the value is missing,
        forged or expired."""
        return _load(self._sessions, value, self.max_age)

    def sign_in_value(self):
        """A `(cookie value, CSRF token)` pair for the sign-in form."""
        token = secrets.token_urlsafe(32)
        return self._sign_in.dumps({"csrf": token}), token

    def read_sign_in(self, value):
        """The sign-in form's CSRF token, or None."""
        data = _load(self._sign_in, value, 3600)
        return data["csrf"] if data else None

    def set_cookie(self, response, name, value, max_age):
        """Sets a cookie with the page's flags on a response."""
        response.set_cookie(name, value, max_age=int(max_age), path="/",
                            httponly=True, samesite="strict",
                            secure=self.secure)

    def clear_cookie(self, response, name):
        """Deletes a cookie, with the same flags it was set with."""
        response.delete_cookie(name, path="/", httponly=True,
                               samesite="strict", secure=self.secure)


def _load(serializer, value, max_age):
    if not value:
        return None
    try:
        data = serializer.loads(value, max_age=max_age)
    except BadSignature:  # also SignatureExpired
        return None
    return data if isinstance(data, dict) and data.get("csrf") else None


def same_token(expected, given):
    """Whether a form's CSRF token matches (constant-time; any text)."""
    return bool(expected) and bool(given) and secrets.compare_digest(
        str(expected).encode("utf-8"), str(given).encode("utf-8"))


def password_mark(password_hash):
    """A short digest of a user's stored hash, kept in the session: a new
    password (or a removed user) ends the sessions made before."""
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()[:16]
