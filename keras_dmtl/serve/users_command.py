"""`keras-dmtl users add|list|remove`: who may sign in to the page."""

import getpass
import sys

from keras_dmtl.serve.serve_command import DEFAULT_DB


def add_users_arguments(parser):
    """Adds the sub-commands of `keras-dmtl users` to an argparse parser."""
    actions = parser.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="add a user (asks the password)")
    add.add_argument("name")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from the first line of "
                          "standard input instead of asking")
    add.add_argument("--replace", action="store_true",
                     help="set a new password for an existing user")
    listing = actions.add_parser("list", help="list the users")
    remove = actions.add_parser("remove", help="remove a user")
    remove.add_argument("name")
    for sub in (add, listing, remove):
        sub.add_argument("--db", default=DEFAULT_DB,
                         help=f"the database (default {DEFAULT_DB})")


def _password(args):
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise ValueError("--password-stdin: standard input is empty")
        return password
    if not sys.stdin.isatty():
        raise ValueError("no terminal to ask the password on: give it "
                         "with --password-stdin")
    password = getpass.getpass(f"Password for {args.name}: ")
    if getpass.getpass("Again: ") != password:
        raise ValueError("the two passwords differ")
    return password


def run_users(args):
    """Runs `keras-dmtl users ACTION`."""
    from keras_dmtl.serve.passwords import check_new_password
    from keras_dmtl.serve.users import add_user
    from keras_dmtl.serve.users import check_user_name
    from keras_dmtl.serve.users import list_users
    from keras_dmtl.serve.users import remove_user
    from keras_dmtl.store import open_database

    if args.action == "add":
        check_user_name(args.name)
        password = _password(args)
        check_new_password(password)
    with open_database(args.db) as database:
        if args.action == "add":
            new = add_user(database, args.name, password,
                           replace=args.replace)
            print(f"user {args.name} {'added to' if new else 'updated in'} "
                  f"{database.name}")
        elif args.action == "list":
            for name, created in list_users(database):
                print(f"{name}\t{created:%Y-%m-%d %H:%M} UTC")
        elif not remove_user(database, args.name):
            raise ValueError(f"no user {args.name!r} in {database.name}")
        else:
            print(f"user {args.name} removed from {database.name}")
