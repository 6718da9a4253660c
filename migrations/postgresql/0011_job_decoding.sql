-- Framewise label store, version 11, PostgreSQL: ../0011_job_decoding.sql in PostgreSQL's words.

ALTER TABLE jobs ADD COLUMN decoding text NOT NULL DEFAULT 'full';
