DROP TRIGGER requests_search_updated;
DROP TRIGGER requests_search_deleted;
DROP TRIGGER requests_search_inserted;
DROP TABLE requests_fts;
DROP TABLE requests_search;
