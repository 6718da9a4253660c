-- Framewise label store, version 12, PostgreSQL: ../0012_prune_job_keys.sql in PostgreSQL's words.

CREATE INDEX jobs_by_run ON jobs(run_id);
CREATE INDEX jobs_by_source ON jobs(source_id);
