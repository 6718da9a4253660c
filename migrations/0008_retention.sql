-- Framewise label store, version 8: retention reads frames by age.
--
-- `framewise prune` (and the daemon's retention) deletes the frames captured before a cut (live inputs), or whose
-- run ended before it (files, which have no captured_at), in chunks of the oldest first: both need an index, or
-- each chunk would read the whole table.

CREATE INDEX frames_by_capture ON frames(captured_at);
CREATE INDEX runs_by_end ON runs(finished_at);
