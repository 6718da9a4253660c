-- Framewise label store, version 10: heads (classifiers of the user's own classes, trained on GoogLeNet's pool5
-- features), their examples and answers, and stored feature vectors for similar-frame search. Only new tables
-- and columns: nothing existing is rewritten.
--
-- Feature vectors: GoogLeNet's pool5 output (the 1024 values after the 7×7 average pool), stored as 1024 IEEE
-- half-precision floats, little-endian (2048 bytes). A run stores them for no frame, the frames that got a
-- thumbnail, or every frame (`runs.features`: off, thumbnails, all), for every view of the run.

ALTER TABLE runs ADD COLUMN features TEXT NOT NULL DEFAULT 'off';
-- The heads the run applied, as `view=name@version` joined by commas ('' for none).
ALTER TABLE runs ADD COLUMN heads TEXT NOT NULL DEFAULT '';

CREATE TABLE frame_features (
    frame_id INTEGER NOT NULL REFERENCES frames(id) ON DELETE CASCADE,
    view TEXT NOT NULL,
    vector BLOB NOT NULL CHECK (length(vector) = 2048),
    PRIMARY KEY (frame_id, view)
) WITHOUT ROWID;

-- A head: a name, the classes it tells apart and the examples it learns them from. Its classes are named once
-- (`head_classes`); training makes a new version (`head_versions`), and the newest is the one runs apply.
-- `none_class` names the class that means "none of these" (it is a class like the others when training;
-- appearances are not tracked for it).
CREATE TABLE heads (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    none_class TEXT,
    created_at REAL NOT NULL
);

CREATE TABLE head_classes (
    id INTEGER PRIMARY KEY,
    head_id INTEGER NOT NULL REFERENCES heads(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    UNIQUE (head_id, name)
);

-- One labelled example, with its own copy of what training needs, so retention may delete the frame it came
-- from: its features (1024 float32, little-endian: 4096 bytes), the model and precision that computed them, a
-- small JPEG, and where it came from (`origin`: a picture's path, or `frame N of SOURCE at PTS s`; `frame_id`
-- is kept as a plain number, not a reference, for the same reason). `view` says what the features saw:
-- `picture` (a picture file's centre crop), `frame:VIEW` (the stored frame's features, or the frame decoded
-- again, through VIEW) or `thumbnail:VIEW` (VIEW of the frame's stored 320-px thumbnail). `digest` is the
-- SHA-256 of the features: an example is stored once per head.
CREATE TABLE head_examples (
    id INTEGER PRIMARY KEY,
    head_id INTEGER NOT NULL REFERENCES heads(id) ON DELETE CASCADE,
    class_id INTEGER NOT NULL REFERENCES head_classes(id) ON DELETE CASCADE,
    origin TEXT NOT NULL,
    frame_id INTEGER,
    view TEXT NOT NULL,
    model_sha256 TEXT NOT NULL,
    precision TEXT NOT NULL,
    features BLOB NOT NULL CHECK (length(features) = 4096),
    picture BLOB,
    digest TEXT NOT NULL,
    added_at REAL NOT NULL,
    UNIQUE (head_id, digest)
);
CREATE INDEX head_examples_by_class ON head_examples(class_id);

-- A trained version of a head: a multinomial logistic regression on the standardised features. `parameters`
-- holds float32 values, little-endian: the features' means (1024), their scales (1024), then per class (in
-- `classes` order, comma separated names) 1024 weights and a bias. `accuracy` is the k-fold cross-validated
-- share of examples classified right (`folds`; the L2 strength `l2` chosen inside each fold), `report` the
-- training report as `framewise train` printed it. A head made for other weights (`model_sha256`) is refused.
CREATE TABLE head_versions (
    id INTEGER PRIMARY KEY,
    head_id INTEGER NOT NULL REFERENCES heads(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    view TEXT NOT NULL,
    classes TEXT NOT NULL,
    model_sha256 TEXT NOT NULL,
    precision TEXT NOT NULL,
    parameters BLOB NOT NULL,
    examples INTEGER NOT NULL,
    examples_digest TEXT NOT NULL,
    accuracy REAL NOT NULL,
    folds INTEGER NOT NULL,
    l2 REAL NOT NULL,
    report TEXT NOT NULL,
    trained_at REAL NOT NULL,
    UNIQUE (head_id, version)
);

-- A head's answer for one view of a frame: each class's probability when it is at least 0.01.
CREATE TABLE head_scores (
    frame_id INTEGER NOT NULL REFERENCES frames(id) ON DELETE CASCADE,
    view TEXT NOT NULL,
    class_id INTEGER NOT NULL REFERENCES head_classes(id) ON DELETE CASCADE,
    score REAL NOT NULL,
    PRIMARY KEY (frame_id, view, class_id)
) WITHOUT ROWID;
CREATE INDEX head_scores_by_class ON head_scores(class_id, score);

-- Every stored head answer, one row per frame, view and class.
CREATE VIEW head_predictions AS
SELECT s.uri AS source, f.frame_index, f.pts, f.captured_at, hs.view, h.name AS head, hc.name AS class, hs.score,
       f.source_id, f.run_id, f.id AS frame_id, hs.class_id
  FROM head_scores AS hs
  JOIN frames AS f ON f.id = hs.frame_id
  JOIN sources AS s ON s.id = f.source_id
  JOIN head_classes AS hc ON hc.id = hs.class_id
  JOIN heads AS h ON h.id = hc.head_id;

-- How many vectors a view has and the newest: `framewise similar` checks its search file against it (the table's
-- own rows are 2 KB each; this index answers without reading them).
CREATE INDEX frame_features_by_view ON frame_features(view, frame_id);
