-- Framewise label store, version 3: files known by what they are, live sessions, counters that mean one thing.
--
-- * A file source is its canonical path plus a fingerprint of its content (`sources.fingerprint`: size and
--   SHA-256 of the first and last MiB). Different content at a known path is a new source with the same `uri`;
--   the old source and its frames stay, queryable by `source_id` (the newest content has the largest id).
--   `fingerprint` is '' for network inputs and for files stored before this version.
-- * Every run of a live input (`runs.live = 1`) is a session that stores every frame it labels; its frame
--   indices continue after the source's last stored index, so (source_id, frame_index) stays unique, while
--   `pts` restarts at 0 in every session. `captured_at` is the timeline across sessions.
-- * `runs` counts frames once each: decoded (by FFmpeg), sampled (kept by the sampler) = labeled (rows
--   inserted) + dropped (queue full, stopped at once, or not storable) + skipped (already stored: resume).

-- Views are rebuilt below (they read the rebuilt `sources`).
DROP VIEW label_segments;
DROP VIEW predictions;

-- `uri` alone is no longer unique: SQLite cannot drop a constraint, so the table is rebuilt (ids are kept;
-- the migrator disables foreign keys meanwhile and checks them before it commits).
CREATE TABLE sources_v3 (
    id INTEGER PRIMARY KEY,
    uri TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('file', 'rtsp', 'http', 'stream')),
    fingerprint TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    UNIQUE (uri, fingerprint)
);
INSERT INTO sources_v3 (id, uri, kind, created_at) SELECT id, uri, kind, created_at FROM sources;
DROP TABLE sources;
ALTER TABLE sources_v3 RENAME TO sources;

ALTER TABLE runs ADD COLUMN live INTEGER NOT NULL DEFAULT 0 CHECK (live IN (0, 1));
ALTER TABLE runs ADD COLUMN frames_sampled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN frames_skipped INTEGER NOT NULL DEFAULT 0;
-- Before this version `frames_decoded` held the frames handed to the workers (sampled and not skipped).
UPDATE runs SET frames_sampled = frames_decoded;
UPDATE runs SET live = 1 WHERE source_id IN (SELECT id FROM sources WHERE kind <> 'file');

-- Every stored answer, one row per frame and rank.
CREATE VIEW predictions AS
SELECT s.uri AS source, f.frame_index, f.pts, f.captured_at, l.rank, l.class_index, c.label, l.score,
       f.source_id, f.run_id, f.id AS frame_id
  FROM frames AS f
  JOIN sources AS s ON s.id = f.source_id
  JOIN labels AS l ON l.frame_id = f.id
  JOIN classes AS c ON c.class_index = l.class_index;

-- Maximal runs of consecutive stored frames of one source with the same top-1 class, one row per run, never
-- joining two sessions of a live source (frames of a resumed file join: it is one video).
-- A frame starts a segment when the previous stored frame of its source has another top-1 class, belongs to
-- another live session, or does not exist; a running count of starts per (source, class) numbers the segments,
-- and window aggregates over each numbered segment give its row (kept once, on its first frame). Every window
-- is partitioned by source and class, so SQLite pushes `WHERE label = ...` or `WHERE source = ...` down to the
-- indexes instead of computing every segment of every label. No GROUP BY on purpose: it would stop that.
CREATE VIEW label_segments AS
SELECT source, label, start_pts, end_pts, frames, mean_score,
       source_id, class_index, first_frame_index, last_frame_index, start_captured_at, end_captured_at, run_id
  FROM (
        SELECT source, label, source_id, class_index, starts_segment,
               min(pts) OVER segment AS start_pts,
               max(pts) OVER segment AS end_pts,
               count(*) OVER segment AS frames,
               avg(score) OVER segment AS mean_score,
               min(frame_index) OVER segment AS first_frame_index,
               max(frame_index) OVER segment AS last_frame_index,
               min(captured_at) OVER segment AS start_captured_at,
               max(captured_at) OVER segment AS end_captured_at,
               min(run_id) OVER segment AS run_id
          FROM (
                SELECT *, sum(starts_segment) OVER (
                              PARTITION BY source_id, source, class_index, label ORDER BY frame_index
                          ) AS segment_number
                  FROM (
                        SELECT f.source_id, s.uri AS source, l.class_index, c.label, f.run_id,
                               f.frame_index, f.pts, f.captured_at, l.score,
                               (SELECT CASE WHEN previous.run_id = f.run_id OR f.captured_at IS NULL
                                            THEN previous_top.class_index END
                                  FROM frames AS previous
                                  JOIN labels AS previous_top
                                    ON previous_top.frame_id = previous.id AND previous_top.rank = 1
                                 WHERE previous.source_id = f.source_id AND previous.frame_index < f.frame_index
                                 ORDER BY previous.frame_index DESC
                                 LIMIT 1) IS NOT l.class_index AS starts_segment
                          FROM labels AS l
                          JOIN frames AS f ON f.id = l.frame_id
                          JOIN sources AS s ON s.id = f.source_id
                          JOIN classes AS c ON c.class_index = l.class_index
                         WHERE l.rank = 1
                       )
               )
        WINDOW segment AS (PARTITION BY source_id, source, class_index, label, segment_number)
       )
 WHERE starts_segment;
