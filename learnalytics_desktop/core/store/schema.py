"""The database schema and its ordered migrations.

The schema version is SQLite's ``PRAGMA user_version``. ``MIGRATIONS[i]`` takes a database
from version ``i`` to ``i + 1``; :func:`learnalytics_desktop.core.store.db.open_db` applies the
missing ones in order, inside one transaction each, after copying the file to a backup.

Design decisions (written down here because every layer depends on them):

* **Typed columns, no raw statement.** ``statements`` keeps what analytics needs as typed
  columns with integer keys into ``actors``, ``verbs``, ``activities`` and ``courses``. The raw
  JSON is *not* kept: as plain text it costs about eight times the size and three times the
  insert time, and with pseudonymisation on it would carry the very names and e-mails we
  promise not to store. A 16-byte content hash (SHA-256 of the canonical statement, see
  ``core.ingest.canonical``) is kept instead, which is what LRS duplicate/conflict detection
  needs. Rejected statements are the exception: their text (capped at 16 KiB) is kept in
  ``rejects`` so the data officer can see what was quarantined, unless the import was
  pseudonymised.
* **Time.** ``statements.ts`` is the statement timestamp in UTC as integer milliseconds since
  the Unix epoch (the stored time when a statement has no timestamp).
* **Voiding.** ``voided`` is 1 on a statement that a voiding statement targets; ``voids``
  remembers every voiding target even when the target has not arrived yet, so order does not
  matter. Voiding statements themselves carry ``is_voiding = 1``. Analytics read the view
  ``v_events``, which leaves both out.
* **Actors.** ``actors.ifi`` is the canonical inverse functional identifier
  (``mbox:mailto:…``, ``mbox_sha1sum:…``, ``openid:…``, ``account:<homePage>|<name>``, or
  ``pseudo:<hmac>`` when pseudonymised); ``label`` is what advisors see (account name, e-mail,
  hash or pseudonym).
"""

from __future__ import annotations

SCHEMA_V1 = r"""
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL              -- JSON
);

CREATE TABLE imports (
    id            INTEGER PRIMARY KEY,
    source        TEXT NOT NULL,     -- file path as given
    sha256        TEXT,              -- of the file's bytes (set when the file was read to its end)
    batch         TEXT,              -- run key while unfinished (a rerun resumes it); '<key>@<id>' when done
    fingerprint   TEXT,              -- size, mtime and head/tail hash: finds an unfinished import
    started_at    TEXT NOT NULL,     -- ISO 8601 UTC
    finished_at   TEXT,
    status        TEXT NOT NULL DEFAULT 'running',  -- pending | running | done | cancelled | failed
    pseudonymized INTEGER NOT NULL DEFAULT 0,
    read          INTEGER NOT NULL DEFAULT 0,
    stored        INTEGER NOT NULL DEFAULT 0,
    duplicates    INTEGER NOT NULL DEFAULT 0,
    conflicts     INTEGER NOT NULL DEFAULT 0,
    rejected      INTEGER NOT NULL DEFAULT 0,
    voided        INTEGER NOT NULL DEFAULT 0,
    resume_at     INTEGER NOT NULL DEFAULT 0,   -- records of this source committed so far
    message       TEXT
);

CREATE TABLE actors (
    id        INTEGER PRIMARY KEY,
    ifi       TEXT NOT NULL UNIQUE,
    kind      TEXT NOT NULL,         -- mbox | mbox_sha1sum | openid | account | group | pseudo
    label     TEXT NOT NULL,         -- what people see
    name      TEXT,                  -- display name (NULL when pseudonymised)
    email     TEXT,                  -- lower-case address without mailto: (NULL when pseudonymised)
    email_sha1 TEXT                  -- sha1 hex of 'mailto:'+email, for matching mbox_sha1sum actors
);

CREATE TABLE verbs (
    id      INTEGER PRIMARY KEY,
    iri     TEXT NOT NULL UNIQUE,
    display TEXT
);

CREATE TABLE activities (
    id       INTEGER PRIMARY KEY,
    iri      TEXT NOT NULL UNIQUE,
    type_iri TEXT,
    name     TEXT
);

CREATE TABLE courses (
    id           INTEGER PRIMARY KEY,
    iri          TEXT NOT NULL UNIQUE,
    name         TEXT,
    start_date   TEXT,               -- ISO date chosen by the user; NULL = found from the data
    weeks        INTEGER              -- course length set by the user; NULL = found from the data
);

CREATE TABLE statements (
    rowid        INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,   -- statement UUID, lower case
    hash         BLOB NOT NULL,          -- 16 bytes of SHA-256 over the canonical statement
    actor        INTEGER NOT NULL REFERENCES actors(id),
    verb         INTEGER NOT NULL REFERENCES verbs(id),
    object       INTEGER REFERENCES activities(id),  -- NULL when the object is not an Activity
    object_kind  TEXT NOT NULL DEFAULT 'Activity',   -- Activity | Agent | Group | SubStatement | StatementRef
    course       INTEGER REFERENCES courses(id),
    ts           INTEGER NOT NULL,       -- UTC epoch milliseconds
    stored_ts    INTEGER,                -- the LRS 'stored' time when present
    duration     REAL,                   -- seconds
    score_raw    REAL,
    score_min    REAL,
    score_max    REAL,
    score_scaled REAL,
    success      INTEGER,
    completion   INTEGER,
    response     TEXT,
    registration TEXT,
    late         INTEGER,                -- 1/0 from a lateness extension, NULL when unknown
    is_voiding   INTEGER NOT NULL DEFAULT 0,
    voided       INTEGER NOT NULL DEFAULT 0,
    import_id    INTEGER NOT NULL REFERENCES imports(id)
);
CREATE INDEX statements_course_ts ON statements(course, ts);
CREATE INDEX statements_actor ON statements(actor, ts);

CREATE TABLE voids (
    target_id  TEXT PRIMARY KEY,     -- the voided statement's id (may not be stored yet)
    voiding_id TEXT NOT NULL
);

CREATE TABLE conflicts (
    id           INTEGER PRIMARY KEY,
    import_id    INTEGER NOT NULL REFERENCES imports(id),
    statement_id TEXT NOT NULL,
    source       TEXT NOT NULL,
    location     TEXT NOT NULL,       -- 'line 12', 'index 3', 'member a.json line 4'
    kept_hash    BLOB NOT NULL,
    new_hash     BLOB NOT NULL
);

CREATE TABLE rejects (
    id           INTEGER PRIMARY KEY,
    import_id    INTEGER NOT NULL REFERENCES imports(id),
    source       TEXT NOT NULL,
    location     TEXT NOT NULL,
    statement_id TEXT,
    rule         TEXT NOT NULL,       -- short rule code, e.g. 'actor.ifi'
    reason       TEXT NOT NULL,       -- plain sentence naming the rule
    excerpt      TEXT                 -- the record's text, capped (NULL when pseudonymised)
);
CREATE INDEX rejects_import ON rejects(import_id);

CREATE TABLE enrolments (
    course  INTEGER NOT NULL REFERENCES courses(id),
    actor   INTEGER NOT NULL REFERENCES actors(id),
    source  TEXT NOT NULL,            -- 'roster' | 'outcomes'
    PRIMARY KEY (course, actor)
);

CREATE TABLE outcomes (
    course      INTEGER NOT NULL REFERENCES courses(id),
    actor       INTEGER NOT NULL REFERENCES actors(id),
    final_grade REAL,
    result      TEXT,
    passed      INTEGER,
    withdrew    INTEGER,
    PRIMARY KEY (course, actor)
);

CREATE TABLE attributes (              -- demographic or other per-student columns the user marked
    course INTEGER NOT NULL REFERENCES courses(id),
    actor  INTEGER NOT NULL REFERENCES actors(id),
    key    TEXT NOT NULL,
    value  TEXT,
    PRIMARY KEY (course, actor, key)
);

CREATE TABLE models (
    id          TEXT PRIMARY KEY,
    created_at  TEXT NOT NULL,
    kind        TEXT NOT NULL,        -- 'hgb' | 'logreg'
    week        INTEGER NOT NULL,
    courses     TEXT NOT NULL,        -- JSON list of course IRIs trained on
    card        TEXT NOT NULL,        -- JSON model card
    file        TEXT NOT NULL,        -- path of the signed model file
    active      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE training_rows (          -- who a model was trained on (erasure must reach it)
    model_id TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
    actor    INTEGER NOT NULL REFERENCES actors(id),
    label    INTEGER NOT NULL,
    PRIMARY KEY (model_id, actor)
);

CREATE TABLE score_runs (
    id         INTEGER PRIMARY KEY,
    model_id   TEXT NOT NULL,
    course     INTEGER NOT NULL REFERENCES courses(id),
    week       INTEGER,
    as_of      TEXT NOT NULL,         -- ISO date-time UTC
    created_at TEXT NOT NULL
);

CREATE TABLE scores (
    run_id  INTEGER NOT NULL REFERENCES score_runs(id) ON DELETE CASCADE,
    actor   INTEGER NOT NULL REFERENCES actors(id),
    risk    REAL NOT NULL,
    level   TEXT NOT NULL,
    reasons TEXT NOT NULL,            -- JSON list of plain-language reasons
    PRIMARY KEY (run_id, actor)
);

CREATE TABLE interventions (
    id          INTEGER PRIMARY KEY,
    batch       TEXT,                 -- drafting batch id (hold-out is drawn per batch)
    actor       INTEGER NOT NULL REFERENCES actors(id),
    course      INTEGER REFERENCES courses(id),
    created_at  TEXT NOT NULL,
    date        TEXT NOT NULL,        -- the intervention date (ISO date)
    rule        TEXT NOT NULL,
    channel     TEXT NOT NULL,        -- email | content | instructor_alert | external
    arm         TEXT NOT NULL,        -- treated | holdout | external
    subject     TEXT,
    body        TEXT,
    status      TEXT NOT NULL,        -- draft | approved | dismissed | exported | held_out | done
    user        TEXT NOT NULL,
    risk        REAL,
    features    TEXT                  -- JSON of the features at that moment
);
CREATE INDEX interventions_actor ON interventions(actor);

CREATE TABLE audit_log (
    id     INTEGER PRIMARY KEY,
    at     TEXT NOT NULL,
    user   TEXT NOT NULL,
    action TEXT NOT NULL,             -- import | export | train | score | erase | backup | restore | ...
    detail TEXT NOT NULL              -- JSON; never a learner identifier for 'erase'
);

CREATE VIEW v_events AS
    SELECT * FROM statements WHERE voided = 0 AND is_voiding = 0;
"""

# Schema 2: the (course, ts) index becomes covering for what the course list counts (see
# core.courses): statements, first/last time and distinct students of an offering without
# voided or voiding statements are read from the index alone, not from the table's rows.
# Its leading columns are still (course, ts), so every query that used statements_course_ts
# (time ranges and percentiles per offering, the feature fetch in time order) uses it the
# same way.
SCHEMA_V2 = r"""
CREATE INDEX statements_course_cover ON statements(course, ts, voided, is_voiding, actor);
DROP INDEX statements_course_ts;
"""

# Schema 3: enrolment status as data and the assessment calendar (issue 11).
# * ``enrolments`` gains what a class list says about a student's registration:
#   ``registered_ms`` / ``withdrawn_ms`` (UTC epoch ms of 00:00 on the date given, NULL when
#   not given) and ``status`` (the class list's own word, lower case, NULL when absent).
#   xAPI statements that mean joining or leaving the course are read from ``statements``
#   when the status is computed (``core.outcomes.status``), so they are not copied here.
# * ``assessments``: one row per assessment of an offering (``key``: the id in the imported
#   file or the activity IRI; ``activity``: the activity whose statements are submissions of
#   it, when known), its ``kind`` (assignment | quiz | exam), ``due_ms`` (UTC epoch ms, NULL =
#   no due date), ``weight`` (percent of the final mark), ``max_score`` and where the row
#   came from (``source``: 'csv' or 'data').
SCHEMA_V3 = r"""
ALTER TABLE enrolments ADD COLUMN registered_ms INTEGER;
ALTER TABLE enrolments ADD COLUMN withdrawn_ms INTEGER;
ALTER TABLE enrolments ADD COLUMN status TEXT;

CREATE TABLE assessments (
    id        INTEGER PRIMARY KEY,
    course    INTEGER NOT NULL REFERENCES courses(id),
    key       TEXT NOT NULL,
    activity  INTEGER REFERENCES activities(id),
    title     TEXT,
    kind      TEXT NOT NULL,          -- assignment | quiz | exam
    due_ms    INTEGER,
    weight    REAL,
    max_score REAL,
    source    TEXT NOT NULL,          -- 'csv' | 'data'
    UNIQUE (course, key)
);
CREATE INDEX assessments_activity ON assessments(activity);
"""

# Schema 4: sources other than xAPI (core.ingest.formats).  Each import row says which format
# its file was read as, how many records were skipped (valid, but not learner activity) and
# why: ``skips`` is a JSON object {reason: count}; reasons are categories, never personal data.
# read = stored + duplicates + conflicts + rejected + skipped.
SCHEMA_V4 = r"""
ALTER TABLE imports ADD COLUMN format TEXT;
ALTER TABLE imports ADD COLUMN skipped INTEGER NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN skips TEXT;
"""

# Schema 5: a student's first and last name as the class list or gradebook gives them (the
# xAPI actor's ``name`` is one string, and "Dear Maria José" needs to know where the first
# name ends). NULL when unknown and always NULL in a pseudonymised database; an erasure
# deletes them with the actor row. See core.people.
SCHEMA_V5 = r"""
ALTER TABLE actors ADD COLUMN first_name TEXT;
ALTER TABLE actors ADD COLUMN last_name TEXT;
"""

# Schema 6: a quarantined record's fingerprint (16 bytes of SHA-256 over its rule and its bytes,
# or over its source and location when it has no bytes), so importing a file again does not add
# its rejected records to the quarantine a second time (issue 15, finding 12). NULL on rows
# written before.
SCHEMA_V6 = r"""
ALTER TABLE rejects ADD COLUMN digest BLOB;
CREATE INDEX rejects_digest ON rejects(digest);
"""

# MIGRATIONS[i] upgrades a database at user_version i to i + 1.
MIGRATIONS: list[str] = [SCHEMA_V1, SCHEMA_V2, SCHEMA_V3, SCHEMA_V4, SCHEMA_V5, SCHEMA_V6]

SCHEMA_VERSION = len(MIGRATIONS)
