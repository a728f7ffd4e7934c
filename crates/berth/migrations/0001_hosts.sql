-- Docker hosts Berth manages. Timestamps are RFC 3339 text so the schema ports to PostgreSQL.
CREATE TABLE hosts (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    url         TEXT NOT NULL,
    color       TEXT NOT NULL,
    description TEXT,
    tls         BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- One-off facts about this installation (e.g. that the local host was registered once).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
