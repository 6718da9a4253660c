-- Framewise label store, version 2: the views people query and the indexes behind them.

-- "Which frames have class X (at any rank / at rank 1)?" starts here.
CREATE INDEX labels_by_class ON labels(class_index, rank);
CREATE INDEX classes_by_label ON classes(label);

-- Every stored answer, one row per frame and rank.
CREATE VIEW predictions AS
SELECT s.uri AS source, f.frame_index, f.pts, f.captured_at, l.rank, l.class_index, c.label, l.score,
       f.source_id, f.run_id, f.id AS frame_id
  FROM frames AS f
  JOIN sources AS s ON s.id = f.source_id
  JOIN labels AS l ON l.frame_id = f.id
  JOIN classes AS c ON c.class_index = l.class_index;

-- Maximal runs of consecutive stored frames of one source with the same top-1 class, one row per run.
-- A frame starts a segment when the previous stored frame of its source has another top-1 class (or there is
-- none); a running count of starts per (source, class) numbers the segments, and window aggregates over each
-- numbered segment give its row (kept once, on its first frame). Every window is partitioned by source and
-- class, so SQLite pushes `WHERE label = ...` or `WHERE source = ...` down to the indexes instead of
-- computing every segment of every label. No GROUP BY on purpose: it would stop that push-down.
CREATE VIEW label_segments AS
SELECT source, label, start_pts, end_pts, frames, mean_score,
       source_id, class_index, first_frame_index, last_frame_index, start_captured_at, end_captured_at
  FROM (
        SELECT source, label, source_id, class_index, starts_segment,
               min(pts) OVER segment AS start_pts,
               max(pts) OVER segment AS end_pts,
               count(*) OVER segment AS frames,
               avg(score) OVER segment AS mean_score,
               min(frame_index) OVER segment AS first_frame_index,
               max(frame_index) OVER segment AS last_frame_index,
               min(captured_at) OVER segment AS start_captured_at,
               max(captured_at) OVER segment AS end_captured_at
          FROM (
                SELECT *, sum(starts_segment) OVER (
                              PARTITION BY source_id, source, class_index, label ORDER BY frame_index
                          ) AS segment_number
                  FROM (
                        SELECT f.source_id, s.uri AS source, l.class_index, c.label,
                               f.frame_index, f.pts, f.captured_at, l.score,
                               (SELECT previous_top.class_index
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
