-- Full-text search (docs/product.md § 14). Each request has one document: its words folded by
-- the portal (domain/search.rs) — `heading` the reference, title and mission's name, `body` the
-- justification, the event's name and venue and the measures' descriptions — and `scope`, the
-- need-to-know marks a list's search is confined to (the mission, submitted, reached the
-- police, referred to PST). The data layer writes it in the same transaction as the request
-- (db/search.rs). `document` is the tsvector the GIN index holds, made by the trigger below:
-- heading (weight A) and body (B) through the `simple` configuration and `unaccent`, the
-- scope's marks apart (D), so that no word a person types (looked for in A and B) can match a
-- mark.
CREATE EXTENSION IF NOT EXISTS unaccent;

CREATE TABLE requests_search (
    seq BIGSERIAL PRIMARY KEY,
    request_id TEXT NOT NULL UNIQUE REFERENCES requests (id) ON DELETE CASCADE,
    mission_id TEXT NOT NULL,
    heading TEXT NOT NULL,
    body TEXT NOT NULL,
    scope TEXT NOT NULL,
    document TSVECTOR NOT NULL DEFAULT ''::tsvector
);

CREATE FUNCTION requests_search_document() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.document :=
        setweight(to_tsvector('simple', unaccent(NEW.heading)), 'A')
        || setweight(to_tsvector('simple', unaccent(NEW.body)), 'B')
        || setweight(CASE WHEN NEW.scope = '' THEN ''::tsvector
                          ELSE (replace(NEW.scope, ' ', ':1 ') || ':1')::tsvector END, 'D');
    RETURN NEW;
END;
$$;

CREATE TRIGGER requests_search_document BEFORE INSERT OR UPDATE ON requests_search
    FOR EACH ROW EXECUTE FUNCTION requests_search_document();

CREATE INDEX requests_search_document_idx ON requests_search USING GIN (document);

-- A mission's documents newest first: where a mission's search for a common word reads.
CREATE INDEX requests_search_mission_idx ON requests_search (mission_id, seq);
