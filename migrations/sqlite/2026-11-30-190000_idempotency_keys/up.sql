-- The answers to API calls made with an Idempotency-Key (README, "Retrying a call safely"):
-- written in the same transaction as the change they answer, so that a retry with the same key
-- replays the answer instead of changing anything again. The body is sealed with the portal's
-- seal key (it may hold classified text the caller was entitled to see). Rows expire after 24 h
-- and are deleted by the housekeeping.
CREATE TABLE idempotency_keys (
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    idem_key     TEXT NOT NULL,
    method_path  TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    status       INTEGER NOT NULL,
    body         TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, idem_key)
);
CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at);
