"""Adding, listing and removing the users of the operator page."""

import functools
import re

from sqlalchemy import delete
from sqlalchemy import select

from keras_dmtl.serve.passwords import check_new_password
from keras_dmtl.serve.passwords import hash_password
from keras_dmtl.serve.passwords import verify_password
from keras_dmtl.store.schema import User

NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")


def check_user_name(name):
    """Raises `ValueError` unless `name` is 1-64 letters, digits or `_.@-`."""
    if not NAME_PATTERN.match(name or ""):
        raise ValueError(f"user name {name!r}: use 1 to 64 letters, digits "
                         "and _ . @ -")


def add_user(database, name, password, replace=False):
    """Stores a user with a hash of the password.

    Args:
        database: a `keras_dmtl.store.Database`.
        name: str, the sign-in name.
        password: str, checked by `check_new_password`.
        replace: bool, whether an existing user's password is replaced
            (else an existing name is an error).

    Returns:
        bool, whether the user is new.

    Example:

    ```python
    add_user(open_database("sqlite:///watch.db"), "operator", "a long one")
    ```
    """
    check_user_name(name)
    check_new_password(password)
    hashed = hash_password(password)
    with database.session() as session:
        user = session.scalar(select(User).where(User.name == name))
        if user is None:
            session.add(User(name=name, password_hash=hashed))
            return True
        if not replace:
            raise ValueError(f"user {name!r} already exists in "
                             f"{database.name}; --replace sets a new "
                             "password")
        user.password_hash = hashed
        return False


def remove_user(database, name):
    """Deletes a user; returns whether one was deleted."""
    with database.session() as session:
        result = session.execute(delete(User).where(User.name == name))
        return result.rowcount > 0


def list_users(database):
    """The users as `(name, created_at)` pairs, by name."""
    with database.read_only_session() as session:
        return [tuple(row) for row in session.execute(
            select(User.name, User.created_at).order_by(User.name))]


def stored_hash(database, name):
    """The stored password hash of `name`, or None (read only)."""
    if not NAME_PATTERN.match(name or ""):  # nothing odd reaches SQL
        return None
    with database.read_only_session() as session:
        return session.scalar(select(User.password_hash)
                              .where(User.name == name))


def authenticate(database, name, password):
    """The stored hash of the user if `name` and `password` belong to one,
    else None (read only).

    An unknown name costs the same scrypt as a known one, so the answer
    time does not tell which names exist.
    """
    stored = stored_hash(database, name)
    if stored is None:
        verify_password(password, _dummy_hash())
        return None
    return stored if verify_password(password, stored) else None


@functools.cache
def _dummy_hash():
    return hash_password("an unknown user's password")
