import pytest

from keras_dmtl.serve.passwords import check_new_password
from keras_dmtl.serve.passwords import hash_password
from keras_dmtl.serve.passwords import verify_password


def test_a_hash_verifies_its_password_only():
    stored = hash_password("correct horse 42")
    scheme, n, r, p, salt, digest = stored.split("$")
    assert (scheme, n, r, p) == ("scrypt", "32768", "8", "1")
    assert "correct" not in stored
    assert verify_password("correct horse 42", stored)
    assert not verify_password("correct horse 43", stored)
    assert not verify_password("", stored)


def test_the_same_password_hashes_differently_each_time():
    assert hash_password("same password") != hash_password("same password")


def test_a_hash_keeps_its_own_cost():
    import base64
    import hashlib

    salt = b"0123456789abcdef"
    digest = hashlib.scrypt(b"old password", salt=salt, n=2**10, r=8, p=1,
                            dklen=32)
    encode = lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")  # noqa: E731,E501
    stored = f"scrypt$1024$8$1${encode(salt)}${encode(digest)}"
    assert verify_password("old password", stored)


@pytest.mark.parametrize("stored", ["", "plain", "md5$1$2$3$4$5",
                                    "scrypt$x$8$1$aa$bb", None])
def test_a_malformed_hash_verifies_nothing(stored):
    assert verify_password("anything", stored) is False


def test_short_or_blank_passwords_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="at least 8 characters"):
        check_new_password("short")
    with pytest.raises(ValueError, match="only blanks"):
        check_new_password(" " * 10)
    check_new_password("long enough")
