-- Hardening of schedules, webhooks and notifications (issue 5 follow-up).

-- A running run names the server carrying it out and until when that server vouches for it (a
-- heartbeat it renews while the run lasts, unix ms). A run still `running` past that time was
-- cut off (the server stopped or died) and is closed as interrupted by whichever server sees it.
ALTER TABLE schedule_runs ADD COLUMN owner TEXT;
ALTER TABLE schedule_runs ADD COLUMN alive_until INTEGER;
CREATE INDEX schedule_runs_running ON schedule_runs (alive_until) WHERE outcome = 'running';

-- Webhook HMAC secrets sealed with the key outside the database (src/secrets.rs). The plain
-- `secret` column of 0003 is emptied into this one at start (see Store::plain_webhook_secrets).
ALTER TABLE webhooks ADD COLUMN sealed_secret TEXT;

-- When a rule last sent for an event key (unix ms): cooldowns survive a restart and hold across
-- servers sharing this database.
CREATE TABLE notification_cooldowns (
    rule_id    INTEGER NOT NULL REFERENCES notification_rules (id) ON DELETE CASCADE,
    event_key  TEXT NOT NULL,
    last_sent  INTEGER NOT NULL,
    PRIMARY KEY (rule_id, event_key)
);
