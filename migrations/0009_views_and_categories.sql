-- Framewise label store, version 9: what the network saw of each frame (views), the answers in WordNet
-- categories, and appearances (when a label or category was there). No existing table is rewritten: a
-- database of millions of frames upgrades in the time of a few CREATE statements.
--
-- Views. A run looks at each sampled frame through one or more views (`runs.views`, comma separated, in the
-- order given): `center` (the centred square ImageNet's evaluation uses; the default, and what every run
-- before this version saw), `full` (the whole frame), `tiles` (squares covering the frame, each class scored
-- by its best square), or a named region of the frame. `labels` (and so `predictions` and `label_segments`)
-- holds the top 5 of the run's first view only, so a frame is never counted twice; the other views' top 5
-- are in `view_labels`, and `view_predictions` shows every view.

ALTER TABLE runs ADD COLUMN views TEXT NOT NULL DEFAULT 'center';

-- A WordNet 3.0 noun that covers some of the model's classes: one class's own synset, or an ancestor of
-- several (`dog` covers 118 breeds). Its score in a frame is the sum of its leaves' probabilities from the
-- full softmax (in a view of several crops: the highest of those sums). Stored when a run first scores it.
CREATE TABLE categories (
    id INTEGER PRIMARY KEY,
    wnid TEXT NOT NULL UNIQUE,
    -- The synset's first word (`car`), and all of them (`car, auto, automobile, machine, motorcar`).
    name TEXT NOT NULL,
    names TEXT NOT NULL,
    -- How many of the model's classes it covers.
    leaves INTEGER NOT NULL
);
CREATE INDEX categories_by_name ON categories(name);

-- The top 5 of each view after a run's first, one row per frame, view and rank.
CREATE TABLE view_labels (
    frame_id INTEGER NOT NULL REFERENCES frames(id) ON DELETE CASCADE,
    view TEXT NOT NULL,
    rank INTEGER NOT NULL CHECK (rank BETWEEN 1 AND 5),
    class_index INTEGER NOT NULL REFERENCES classes(class_index),
    score REAL NOT NULL,
    PRIMARY KEY (frame_id, view, rank)
) WITHOUT ROWID;
CREATE INDEX view_labels_by_class ON view_labels(class_index, rank);

-- Each scored category's score in each view of a frame, when it is at least 0.01 (a missing row: below that).
CREATE TABLE category_scores (
    frame_id INTEGER NOT NULL REFERENCES frames(id) ON DELETE CASCADE,
    view TEXT NOT NULL,
    category_id INTEGER NOT NULL REFERENCES categories(id),
    score REAL NOT NULL,
    PRIMARY KEY (frame_id, view, category_id)
) WITHOUT ROWID;
CREATE INDEX category_scores_by_category ON category_scores(category_id, score);

-- When a label or category was there, in one view of one run: it opens when its score reaches the run's
-- *enter* threshold on enough consecutive sampled frames (the first of them is its start), stays open while
-- the score stays above *exit* (gaps below it up to a tolerated length are bridged), and ends at the last
-- frame above *exit*. `open` = 1 while a live input may still extend it (a run that ends closes its own).
-- `vocabulary` says what `class_id` numbers: `imagenet` (classes.class_index) or `category` (categories.id);
-- `label` is its name. `thumbnail_frame_index` is the frame (of the source) whose picture shows it.
CREATE TABLE appearances (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    view TEXT NOT NULL,
    vocabulary TEXT NOT NULL,
    class_id INTEGER NOT NULL,
    label TEXT NOT NULL,
    start_frame_index INTEGER NOT NULL,
    end_frame_index INTEGER NOT NULL,
    start_pts REAL NOT NULL,
    end_pts REAL NOT NULL,
    start_captured_at REAL,
    end_captured_at REAL,
    peak_score REAL NOT NULL,
    mean_score REAL NOT NULL,
    frames INTEGER NOT NULL,
    thumbnail_frame_index INTEGER,
    open INTEGER NOT NULL DEFAULT 1 CHECK (open IN (0, 1)),
    UNIQUE (run_id, view, vocabulary, class_id, start_frame_index)
);
CREATE INDEX appearances_by_label ON appearances(label, start_pts);
CREATE INDEX appearances_by_source ON appearances(source_id, start_frame_index);
CREATE INDEX appearances_by_capture ON appearances(start_captured_at);

-- Every view's top 5: the run's first view from `labels`, the others from `view_labels`.
CREATE VIEW view_predictions AS
SELECT s.uri AS source, f.frame_index, f.pts, f.captured_at,
       CASE WHEN instr(r.views, ',') > 0 THEN substr(r.views, 1, instr(r.views, ',') - 1) ELSE r.views END AS view,
       l.rank, l.class_index, c.label, l.score, f.source_id, f.run_id, f.id AS frame_id
  FROM frames AS f
  JOIN runs AS r ON r.id = f.run_id
  JOIN sources AS s ON s.id = f.source_id
  JOIN labels AS l ON l.frame_id = f.id
  JOIN classes AS c ON c.class_index = l.class_index
UNION ALL
SELECT s.uri, f.frame_index, f.pts, f.captured_at, v.view, v.rank, v.class_index, c.label, v.score,
       f.source_id, f.run_id, f.id
  FROM frames AS f
  JOIN sources AS s ON s.id = f.source_id
  JOIN view_labels AS v ON v.frame_id = f.id
  JOIN classes AS c ON c.class_index = v.class_index;

-- Every stored category score, one row per frame, view and category.
CREATE VIEW category_predictions AS
SELECT s.uri AS source, f.frame_index, f.pts, f.captured_at, cs.view, k.name AS category, cs.score,
       f.source_id, f.run_id, f.id AS frame_id, cs.category_id
  FROM category_scores AS cs
  JOIN frames AS f ON f.id = cs.frame_id
  JOIN sources AS s ON s.id = f.source_id
  JOIN categories AS k ON k.id = cs.category_id;
