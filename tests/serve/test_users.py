import io
import sys

import pytest

from keras_dmtl import cli
from keras_dmtl.serve.users import add_user
from keras_dmtl.serve.users import authenticate
from keras_dmtl.serve.users import list_users
from keras_dmtl.serve.users import remove_user
from keras_dmtl.store import open_database
from tests.store.conftest import database  # noqa: F401 (a fixture)


def test_a_user_signs_in_with_the_password_only(database):
    assert add_user(database, "ann", "first password") is True
    assert authenticate(database, "ann", "first password")
    assert not authenticate(database, "ann", "first passwort")
    assert not authenticate(database, "bob", "first password")
    assert [name for name, _ in list_users(database)] == ["ann"]


def test_an_existing_user_is_replaced_only_when_asked(database):
    add_user(database, "ann", "first password")
    with pytest.raises(ValueError, match="user 'ann' already exists"):
        add_user(database, "ann", "second password")
    assert add_user(database, "ann", "second password", replace=True) is False
    assert authenticate(database, "ann", "second password")
    assert not authenticate(database, "ann", "first password")


def test_bad_names_and_weak_passwords_are_refused(database):
    with pytest.raises(ValueError, match="user name 'a b'"):
        add_user(database, "a b", "long password")
    with pytest.raises(ValueError, match="at least 8"):
        add_user(database, "ann", "short")
    assert list_users(database) == []


def test_removing_a_user(database):
    add_user(database, "ann", "first password")
    assert remove_user(database, "ann") is True
    assert remove_user(database, "ann") is False
    assert not authenticate(database, "ann", "first password")


def _run(argv, stdin, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    with pytest.raises(SystemExit) as ended:
        cli.main(argv)
        raise SystemExit(0)
    out = capsys.readouterr()
    code = ended.value.code
    if isinstance(code, str):  # the one-line error Python prints on exit
        return 1, out.out, code
    return code or 0, out.out, out.err


def test_the_users_command_adds_lists_and_removes(tmp_path, capsys,
                                                  monkeypatch):
    url = f"sqlite:///{tmp_path}/watch.db"
    code, out, _ = _run(["users", "add", "ann", "--db", url,
                         "--password-stdin"], "a long password\n", capsys,
                        monkeypatch)
    assert code == 0 and out.startswith("user ann added to sqlite:///")
    code, out, _ = _run(["users", "list", "--db", url], "", capsys,
                        monkeypatch)
    assert out.startswith("ann\t20")
    code, _, err = _run(["users", "add", "ann", "--db", url,
                         "--password-stdin"], "another password\n", capsys,
                        monkeypatch)
    assert code == 1
    assert err == (f"keras-dmtl users add: user 'ann' already "
                           f"exists in {url}; --replace sets a new password")
    code, _, err = _run(["users", "add", "bob", "--db", url], "", capsys,
                        monkeypatch)  # no terminal to ask on
    assert code == 1 and "--password-stdin" in err
    code, out, _ = _run(["users", "remove", "ann", "--db", url], "", capsys,
                        monkeypatch)
    assert code == 0 and "removed" in out
    with open_database(url) as database:
        assert list_users(database) == []
