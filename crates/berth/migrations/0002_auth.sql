-- Users, sessions, API keys and the audit log.
CREATE TABLE users (
    id                   INTEGER PRIMARY KEY,
    username             TEXT NOT NULL UNIQUE,
    password_hash        TEXT NOT NULL,
    role                 TEXT NOT NULL,
    hosts                TEXT,               -- JSON array of host names; NULL: every host
    disabled             BOOLEAN NOT NULL DEFAULT FALSE,
    must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    last_login_at        TEXT
);

-- The cookie holds a random token; only its SHA-256 is kept.
CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,           -- public id
    token_hash   TEXT NOT NULL UNIQUE,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    client_ip    TEXT,
    user_agent   TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Keys are shown once; only their SHA-256 and a visible prefix are kept.
CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    key_hash     TEXT NOT NULL UNIQUE,
    scope        TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    last_used_at TEXT,
    revoked_at   TEXT
);
CREATE INDEX api_keys_user ON api_keys (user_id);

-- Append-only: the API has no route that changes or deletes entries; retention prunes old ones.
CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY,
    time          TEXT NOT NULL,
    user_id       INTEGER,
    username      TEXT,
    api_key_id    INTEGER,
    api_key_name  TEXT,
    action        TEXT NOT NULL,
    resource_type TEXT,
    resource_id   TEXT,
    host          TEXT,
    outcome       TEXT NOT NULL,
    error_code    TEXT,
    details       TEXT NOT NULL DEFAULT '{}',
    client_ip     TEXT,
    user_agent    TEXT,
    request_id    TEXT
);
CREATE INDEX audit_time ON audit_log (time);
CREATE INDEX audit_action ON audit_log (action, time);
CREATE INDEX audit_user ON audit_log (username, time);
