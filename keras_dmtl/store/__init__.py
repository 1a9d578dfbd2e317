"""The database `keras-dmtl watch` writes and `keras-dmtl serve` reads.

SQLAlchemy 2 tables (`schema`), versioned by Alembic migrations shipped in
the package (`migrations/`), on an embedded SQLite file by default or on
PostgreSQL:

- `open_database(url)` -> `Database`: engine, sessions, schema at head,
  `delete_older_than(days)`, `read_only_session()`;
- `TrackWriter`: stores `TrackRecord`s from a background thread, riding
  out a database that is locked or down;
- `TrackRecord`, `ModelRecord`: what the watcher hands over;
- `ModelRun`, `Source`, `Track`, `Observation`, `User`,
  `LiveTrack`: the tables;
- `LiveWriter`: keeps `live_tracks` to what is in view now.

Example:

```python
from keras_dmtl.store import TrackWriter, open_database
database = open_database("sqlite:///watch.db")
writer = TrackWriter("sqlite:///watch.db", model_record)
writer.put(track_record)
writer.close()
```
"""

from keras_dmtl.store.database import Database
from keras_dmtl.store.database import open_database
from keras_dmtl.store.engine import mask_url
from keras_dmtl.store.migrate import head_revision
from keras_dmtl.store.records import ModelRecord
from keras_dmtl.store.records import TrackRecord
from keras_dmtl.store.live_writer import LiveWriter
from keras_dmtl.store.schema import Base
from keras_dmtl.store.schema import LiveTrack
from keras_dmtl.store.schema import ModelRun
from keras_dmtl.store.schema import Observation
from keras_dmtl.store.schema import Source
from keras_dmtl.store.schema import Track
from keras_dmtl.store.schema import User
from keras_dmtl.store.writer import TrackWriter
