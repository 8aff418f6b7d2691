DROP TABLE requests_search;
DROP FUNCTION requests_search_document();
