-- Framewise label store, version 12: retention finds the jobs of the runs and sources it removes by index.
--
-- After pruning frames, `framewise prune` and the daemon's retention delete the runs and sources left without
-- frames unless a queued or running job needs them, and each run or source deleted sets its jobs' reference to
-- NULL (`ON DELETE SET NULL`): without these indexes both read every job once per run or source deleted.

CREATE INDEX jobs_by_run ON jobs(run_id);
CREATE INDEX jobs_by_source ON jobs(source_id);
