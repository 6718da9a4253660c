"""The database side of scripts/bench-similar.

  similar_bench.py grow DB N       adds N synthetic frames, each with a random half-float feature vector (|N(0,1)|,
                                   like pool5's non-negative values), to the first source and run of DB
  similar_bench.py recall DB FILE  recall@10 against exact cosine ranking on DB's stored half floats: of the int8
                                   quantisation alone (as the search file holds the vectors), and of `framewise
                                   similar` (FILE: its JSON lines, one query per line: {"query": id, "found": [ids]})
"""
import json
import sqlite3
import sys

import numpy as np


def grow(database, count):
    connection = sqlite3.connect(database)
    source, run = connection.execute("SELECT source_id, run_id FROM frames LIMIT 1").fetchone()
    start = connection.execute("SELECT max(frame_index) + 1 FROM frames WHERE source_id = ?", (source,)).fetchone()[0]
    rng = np.random.default_rng(0)
    for chunk in range(0, count, 20000):
        size = min(20000, count - chunk)
        indices = range(start + chunk, start + chunk + size)
        connection.executemany("INSERT INTO frames (source_id, run_id, frame_index, pts, captured_at) VALUES (?, ?, ?, ?, NULL)",
                               [(source, run, index, float(index)) for index in indices])
        ids = [row[0] for row in connection.execute(
            "SELECT id FROM frames WHERE source_id = ? AND frame_index >= ? AND frame_index < ? ORDER BY frame_index",
            (source, indices.start, indices.stop))]
        vectors = np.abs(rng.standard_normal((len(ids), 1024))).astype("<f2")
        connection.executemany("INSERT INTO frame_features (frame_id, view, vector) VALUES (?, 'center', ?)",
                               [(frame, vectors[k].tobytes()) for k, frame in enumerate(ids)])
        connection.commit()


def forget(database, count):
    """Deletes the stored vectors of `count` frames after the first (as retention would)."""
    connection = sqlite3.connect(database)
    connection.execute("""DELETE FROM frame_features WHERE frame_id IN
                          (SELECT frame_id FROM frame_features WHERE frame_id > 1 ORDER BY frame_id LIMIT ?)""", (count,))
    connection.commit()


def recall(database, results):
    rows = sqlite3.connect(database).execute("SELECT frame_id, vector FROM frame_features WHERE view = 'center' ORDER BY frame_id").fetchall()
    ids = np.array([row[0] for row in rows])
    exact = np.array([np.frombuffer(row[1], dtype="<f2") for row in rows]).astype(np.float32)
    exact /= np.linalg.norm(exact, axis=1, keepdims=True)
    scales = np.abs(exact).max(axis=1, keepdims=True) / 127
    quantised = np.clip(np.round(exact / scales), -127, 127) * scales
    quantised /= np.linalg.norm(quantised, axis=1, keepdims=True)
    position = {frame: k for k, frame in enumerate(ids)}
    int8_hits = framewise_hits = total = 0
    for line in open(results):
        answer = json.loads(line)
        query = exact[position[answer["query"]]]
        truth = set(ids[np.argsort(-(exact @ query), kind="stable")[:10]])
        int8_hits += len(truth & set(ids[np.argsort(-(quantised @ query), kind="stable")[:10]]))
        framewise_hits += len(truth & set(answer["found"][:10]))
        total += 10
    print(json.dumps({"queries": total // 10, "vectors": len(ids), "recall_int8_alone": int8_hits / total,
                      "recall_framewise": framewise_hits / total}))


if __name__ == "__main__":
    if sys.argv[1] == "grow":
        grow(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == "forget":
        forget(sys.argv[2], int(sys.argv[3]))
    else:
        recall(sys.argv[2], sys.argv[3])
