-- Full-text search (docs/product.md § 14). Each request has one document: its words folded by
-- the portal (domain/search.rs) — `heading` the reference, title and mission's name, `body` the
-- justification, the event's name and venue and the measures' descriptions — and `scope`, the
-- need-to-know marks a list's search is confined to (the mission, submitted, reached the
-- police, referred to PST). The data layer writes it in the same transaction as the request
-- (db/search.rs); the FTS5 index is an external-content table kept in step by the triggers.
CREATE TABLE requests_search (
    seq INTEGER PRIMARY KEY,
    request_id TEXT NOT NULL UNIQUE REFERENCES requests (id) ON DELETE CASCADE,
    mission_id TEXT NOT NULL,
    heading TEXT NOT NULL,
    body TEXT NOT NULL,
    scope TEXT NOT NULL
);

CREATE VIRTUAL TABLE requests_fts USING fts5 (
    heading, body, scope,
    content = 'requests_search', content_rowid = 'seq',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER requests_search_inserted AFTER INSERT ON requests_search BEGIN
    INSERT INTO requests_fts (rowid, heading, body, scope)
    VALUES (new.seq, new.heading, new.body, new.scope);
END;

CREATE TRIGGER requests_search_deleted AFTER DELETE ON requests_search BEGIN
    INSERT INTO requests_fts (requests_fts, rowid, heading, body, scope)
    VALUES ('delete', old.seq, old.heading, old.body, old.scope);
END;

CREATE TRIGGER requests_search_updated AFTER UPDATE ON requests_search BEGIN
    INSERT INTO requests_fts (requests_fts, rowid, heading, body, scope)
    VALUES ('delete', old.seq, old.heading, old.body, old.scope);
    INSERT INTO requests_fts (rowid, heading, body, scope)
    VALUES (new.seq, new.heading, new.body, new.scope);
END;
