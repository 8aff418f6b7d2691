-- Secrets the instances of one installation share, generated on first start: e.g. the key that
-- signs session cookies, so that a cookie set by one instance is accepted by every other.
CREATE TABLE instance_secrets (
    name        TEXT PRIMARY KEY NOT NULL,
    value       TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
