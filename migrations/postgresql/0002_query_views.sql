-- Framewise label store, version 2, PostgreSQL: the views of ../0002_query_views.sql, same columns in the
-- same order. Dialect differences: `IS DISTINCT FROM` for SQLite's `IS NOT`, `starts_segment` is an integer
-- 0/1 (PostgreSQL does not sum booleans), and every subquery in FROM has a name.

CREATE INDEX labels_by_class ON labels(class_index, rank);
CREATE INDEX classes_by_label ON classes(label);

CREATE VIEW predictions AS
SELECT s.uri AS source, f.frame_index, f.pts, f.captured_at, l.rank, l.class_index, c.label, l.score,
       f.source_id, f.run_id, f.id AS frame_id
  FROM frames AS f
  JOIN sources AS s ON s.id = f.source_id
  JOIN labels AS l ON l.frame_id = f.id
  JOIN classes AS c ON c.class_index = l.class_index;

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
                               CASE WHEN (SELECT previous_top.class_index
                                            FROM frames AS previous
                                            JOIN labels AS previous_top
                                              ON previous_top.frame_id = previous.id AND previous_top.rank = 1
                                           WHERE previous.source_id = f.source_id AND previous.frame_index < f.frame_index
                                           ORDER BY previous.frame_index DESC
                                           LIMIT 1) IS DISTINCT FROM l.class_index
                                    THEN 1 ELSE 0 END AS starts_segment
                          FROM labels AS l
                          JOIN frames AS f ON f.id = l.frame_id
                          JOIN sources AS s ON s.id = f.source_id
                          JOIN classes AS c ON c.class_index = l.class_index
                         WHERE l.rank = 1
                       ) AS top_frames
               ) AS numbered
        WINDOW segment AS (PARTITION BY source_id, source, class_index, label, segment_number)
       ) AS segments
 WHERE starts_segment = 1;
