DROP TABLE portal_jobs;
