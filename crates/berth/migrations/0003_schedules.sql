-- Schedules and their runs, webhooks in, container tags and web-UI links.

-- One action on one target (`job`, JSON of berth_api::schedules::JobSpec), fired by cron or once.
-- `next_run` is the occurrence to fire next; a server fires it only after moving `next_run` on
-- with a compare-and-set, so two servers sharing this database never both fire it. `lease_*` is
-- held while a run executes (skip-while-running; a crashed server's lease expires).
CREATE TABLE schedules (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    job           TEXT NOT NULL,
    cron          TEXT,
    run_at        TEXT,
    timezone      TEXT NOT NULL,
    enabled       BOOLEAN NOT NULL DEFAULT TRUE,
    catch_up      BOOLEAN NOT NULL DEFAULT FALSE,
    next_run      INTEGER,             -- unix milliseconds
    lease_owner   TEXT,
    lease_until   INTEGER,
    created_by    TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX schedules_next_run ON schedules (next_run);

-- Webhooks in: only the token's SHA-256 is kept. The HMAC secret must be readable to check a
-- signature, so it is stored as given (the database file is the server's own).
CREATE TABLE webhooks (
    id                    INTEGER PRIMARY KEY,
    name                  TEXT NOT NULL,
    job                   TEXT NOT NULL,
    token_hash            TEXT NOT NULL UNIQUE,
    token_prefix          TEXT NOT NULL,
    signature             TEXT NOT NULL DEFAULT 'none',
    secret                TEXT,
    rate_limit_per_minute INTEGER NOT NULL DEFAULT 10,
    trigger_count         INTEGER NOT NULL DEFAULT 0,
    last_triggered_at     TEXT,
    created_by            TEXT,
    created_at            TEXT NOT NULL
);

CREATE TABLE schedule_runs (
    id            INTEGER PRIMARY KEY,
    schedule_id   INTEGER REFERENCES schedules (id) ON DELETE CASCADE,
    webhook_id    INTEGER REFERENCES webhooks (id) ON DELETE CASCADE,
    scheduled_for TEXT,
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    outcome       TEXT NOT NULL,
    message       TEXT,
    output        TEXT,
    exit_code     INTEGER,
    attempts      INTEGER NOT NULL DEFAULT 0,
    trigger       TEXT NOT NULL,
    triggered_by  TEXT
);
CREATE INDEX schedule_runs_schedule ON schedule_runs (schedule_id, id);
CREATE INDEX schedule_runs_webhook ON schedule_runs (webhook_id, id);

CREATE TABLE tags (
    name       TEXT PRIMARY KEY,
    color      TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- By host and container NAME: names survive recreation (an update), ids do not.
CREATE TABLE container_tags (
    host      TEXT NOT NULL,
    container TEXT NOT NULL,
    tag       TEXT NOT NULL REFERENCES tags (name) ON DELETE CASCADE ON UPDATE CASCADE,
    PRIMARY KEY (host, container, tag)
);
CREATE INDEX container_tags_tag ON container_tags (tag);

CREATE TABLE container_links (
    host      TEXT NOT NULL,
    container TEXT NOT NULL,
    web_url   TEXT NOT NULL,
    PRIMARY KEY (host, container)
);
