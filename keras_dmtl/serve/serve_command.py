"""`keras-dmtl serve`: the operator page over the watcher's database."""

import os
import secrets
import stat

DEFAULT_DB = "sqlite:///keras_dmtl_watch.db"


def add_serve_arguments(parser):
    """Adds the options of `keras-dmtl serve` to an argparse parser."""
    parser.add_argument("--db", default=DEFAULT_DB,
                        help="the database `keras-dmtl watch` writes "
                             f"(default {DEFAULT_DB}); PostgreSQL: "
                             "postgresql+psycopg://user:password@host/db")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1, "
                             "this machine only; 0.0.0.0 for the network)")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--secret-file", default=None,
                        help="file holding the key that signs session "
                             "cookies, created (mode 600) if missing; "
                             "without it a new key is drawn at each start "
                             "and sessions end with the server")
    parser.add_argument("--forwarded-allow-ips", default=None,
                        help="addresses of a reverse proxy whose "
                             "X-Forwarded-For names the client (for the "
                             "sign-in throttle); by default the header is "
                             "ignored")
    parser.add_argument("--https-cookies", action="store_true",
                        help="send cookies over HTTPS only (behind a TLS "
                             "proxy)")
    parser.add_argument("--max-failures", type=int, default=5,
                        help="failed sign-ins per name or address allowed "
                             "in --failure-window seconds (default 5)")
    parser.add_argument("--failure-window", type=float, default=300.0)
    parser.add_argument("--session-hours", type=float, default=12.0)
    parser.add_argument("--live-seconds", type=float, default=10.0,
                        help="a live snapshot older than this means the "
                             "watcher stopped (default 10)")


def read_secret(path):
    """The session key in `path`; a new file (mode 600) with a new key if
    there is none. An existing file is never changed."""
    if not os.path.exists(path):
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                             0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(48) + "\n")
    mode = os.stat(path).st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ValueError(f"--secret-file {path}: readable by other users "
                         f"(mode {oct(mode & 0o777)}); chmod 600 it")
    with open(path) as file:
        secret = file.read().strip()
    if len(secret) < 32:
        raise ValueError(f"--secret-file {path}: the key must have at least "
                         "32 characters")
    return secret


def run_serve(args):
    """Runs the page until Ctrl-C."""
    import uvicorn

    from keras_dmtl.serve.app import create_app

    if not 0 < args.port < 65536:
        raise ValueError(f"--port must be from 1 to 65535, got {args.port}")
    secret = read_secret(args.secret_file) if args.secret_file else None
    app = create_app(args.db, secret=secret,
                     secure_cookies=args.https_cookies,
                     max_failures=args.max_failures,
                     failure_window=args.failure_window,
                     live_seconds=args.live_seconds,
                     session_hours=args.session_hours)
    print(f"keras-dmtl serve: {app.state.database.name} on "
          f"http://{args.host}:{args.port}/ (Ctrl-C stops)", flush=True)
    proxy = args.forwarded_allow_ips
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning",
                proxy_headers=bool(proxy), forwarded_allow_ips=proxy)
