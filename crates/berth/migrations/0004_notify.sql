-- Notifications out: channels (where), rules (which events go where), deliveries (outcomes).

-- `settings` is the channel's JSON without secrets; `secrets` the secret fields as JSON sealed
-- with the key outside the database (src/secrets.rs), or NULL when there are none.
CREATE TABLE notification_channels (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    enabled     BOOLEAN NOT NULL DEFAULT TRUE,
    settings    TEXT NOT NULL,
    secrets     TEXT,
    target      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- Lists (events, channel ids, hosts, tags, labels) are JSON arrays.
CREATE TABLE notification_rules (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL UNIQUE,
    enabled        BOOLEAN NOT NULL DEFAULT TRUE,
    events         TEXT NOT NULL,
    channels       TEXT NOT NULL,
    hosts          TEXT NOT NULL,
    tags           TEXT NOT NULL,
    labels         TEXT NOT NULL,
    cooldown_secs  INTEGER NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);

-- One row per send (after its retries); kept when the channel or rule is deleted.
CREATE TABLE notification_deliveries (
    id            INTEGER PRIMARY KEY,
    channel_id    INTEGER,
    channel_name  TEXT NOT NULL,
    rule_id       INTEGER,
    event         TEXT NOT NULL,
    event_key     TEXT NOT NULL,
    title         TEXT NOT NULL,
    ok            BOOLEAN NOT NULL,
    error         TEXT,
    attempts      INTEGER NOT NULL,
    created_at    TEXT NOT NULL,
    finished_at   TEXT NOT NULL
);
CREATE INDEX notification_deliveries_channel ON notification_deliveries (channel_id, id);
