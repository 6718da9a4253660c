-- Framewise label store, version 8, PostgreSQL: ../0008_retention.sql in PostgreSQL's words.

CREATE INDEX frames_by_capture ON frames(captured_at);
CREATE INDEX runs_by_end ON runs(finished_at);
