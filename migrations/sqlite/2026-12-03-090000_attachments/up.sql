-- Attachments on a request: site plans, the scanned note verbale, a threatening letter. The
-- bytes live in the database, so one backup holds everything; they are kept in chunks so that
-- neither an upload nor a download needs a whole file in memory.
CREATE TABLE attachments (
    id              TEXT PRIMARY KEY NOT NULL,
    request_id      TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    filename        TEXT NOT NULL,
    content_type    TEXT NOT NULL CHECK (content_type IN ('application/pdf', 'image/png', 'image/jpeg')),
    size_bytes      BIGINT NOT NULL CHECK (size_bytes > 0),
    sha256          TEXT NOT NULL,
    visibility      TEXT NOT NULL CHECK (visibility IN ('external', 'internal')),
    classification  TEXT NOT NULL CHECK (classification IN ('unclassified', 'restricted', 'confidential', 'secret', 'top_secret')),
    declassify_on   DATE,
    uploaded_by     TEXT NOT NULL REFERENCES users (id),
    uploaded_at     TIMESTAMP NOT NULL,
    chunks          INTEGER NOT NULL CHECK (chunks > 0),
    -- What the mission sees is never classified.
    CHECK (visibility = 'internal' OR classification = 'unclassified')
);
CREATE INDEX attachments_request_idx ON attachments (request_id, uploaded_at);

CREATE TABLE attachment_chunks (
    attachment_id   TEXT NOT NULL REFERENCES attachments (id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    bytes           BLOB NOT NULL,
    PRIMARY KEY (attachment_id, seq)
);
