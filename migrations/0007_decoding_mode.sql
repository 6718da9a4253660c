-- Framewise label store, version 7: each run records how its frames were decoded.
--
-- `runs.decoding` is `full` (every frame decoded completely) or the shortcuts the run's decoder took, in a fixed
-- order, joined by `+`: `skip-loop-filter` (the deblocking filter skipped), `skip-nonref` (non-reference frames
-- not decoded; the sampler chose among the others). Runs stored before this version decoded in full.
-- A file's stored frames then never mix two modes: a resume with another mode is refused (`--restart` redoes it).

ALTER TABLE runs ADD COLUMN decoding TEXT NOT NULL DEFAULT 'full';
