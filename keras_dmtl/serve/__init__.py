"""The operator page (`keras-dmtl serve`) and its users.

- `create_app(database_url)`: the FastAPI application: sign-in, dashboard
  with charts, live view, track table with filters, CSV/JSON export,
  about page and JSON API, all behind a session, all read-only;
- `add_user`, `list_users`, `remove_user`, `authenticate`: the users;
- `hash_password`, `verify_password`: salted scrypt hashes;
- `SignInThrottle`, `SessionSigner`, `TrackFilter`: the parts.

Example:

```python
from keras_dmtl.serve import add_user, create_app
from keras_dmtl.store import open_database

add_user(open_database("sqlite:///watch.db"), "operator", "a long secret")
app = create_app("sqlite:///watch.db")  # then: uvicorn.run(app)
```
"""

from keras_dmtl.serve.filters import FilterError
from keras_dmtl.serve.filters import TrackFilter
from keras_dmtl.serve.passwords import hash_password
from keras_dmtl.serve.passwords import verify_password
from keras_dmtl.serve.sessions import SessionSigner
from keras_dmtl.serve.throttle import SignInThrottle
from keras_dmtl.serve.users import add_user
from keras_dmtl.serve.users import authenticate
from keras_dmtl.serve.users import list_users
from keras_dmtl.serve.users import remove_user


def create_app(*args, **kwargs):
    """The operator page's FastAPI app; see `keras_dmtl.serve.app`."""
    from keras_dmtl.serve.app import create_app as create

    return create(*args, **kwargs)
