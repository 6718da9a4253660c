-- Framewise label store, version 11: a queued job says how its file is to be decoded.
--
-- `jobs.decoding` is `runs.decoding`'s words (`full`, or the shortcuts `skip-loop-filter`, `skip-nonref` joined by
-- `+`): `framewise enqueue --decoding` sets it, and the worker's run decodes so and records it in `runs.decoding`.
-- Jobs queued before this version decode in full, as they did.

ALTER TABLE jobs ADD COLUMN decoding TEXT NOT NULL DEFAULT 'full';
