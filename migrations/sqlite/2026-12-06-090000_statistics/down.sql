DROP INDEX measures_statistics_idx;
DROP INDEX requests_statistics_idx;
DROP TABLE statistics_backlog;
DROP TABLE request_stages;
