-- Framewise label store, version 7, PostgreSQL: ../0007_decoding_mode.sql in PostgreSQL's words.

ALTER TABLE runs ADD COLUMN decoding text NOT NULL DEFAULT 'full';
