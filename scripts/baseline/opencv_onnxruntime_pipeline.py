"""The comparison point for `framewise run`: the same job as a plain Python script would do it.

OpenCV's VideoCapture decodes every frame; the same preprocessing as Framewise (centred square of 224/256 of
the shorter side, bilinear to 224x224, BGR minus 104/117/123); ONNX Runtime (2 intra-op threads) runs the
same ONNX file; sqlite3 stores frame index, pts and the top-5 labels, committing every 1000 frames.

Usage: python opencv_onnxruntime_pipeline.py CLIP MODEL.onnx DATABASE  -> prints one JSON line.
"""
import json
import sqlite3
import sys
import time

import cv2
import numpy as np
import onnxruntime as ort

MEAN_BGR = np.array([104.0, 117.0, 123.0], dtype=np.float32).reshape(3, 1, 1)


def preprocess(frame):
    height, width = frame.shape[:2]
    side = int(min(height, width) * 224 / 256)
    top, left = (height - side) // 2, (width - side) // 2
    crop = frame[top:top + side, left:left + side]
    resized = cv2.resize(crop, (224, 224), interpolation=cv2.INTER_LINEAR)
    return (resized.transpose(2, 0, 1).astype(np.float32) - MEAN_BGR)[None]


def main(clip, model, database):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    db = sqlite3.connect(database)
    db.executescript(
        "PRAGMA journal_mode=WAL;"
        "CREATE TABLE IF NOT EXISTS frames(id INTEGER PRIMARY KEY, frame_index INTEGER UNIQUE, pts REAL);"
        "CREATE TABLE IF NOT EXISTS labels(frame_id INTEGER, rank INTEGER, class_index INTEGER, score REAL,"
        " PRIMARY KEY(frame_id, rank)) WITHOUT ROWID;")
    capture = cv2.VideoCapture(clip)
    started, cpu_started = time.perf_counter(), time.process_time()
    index = 0
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        pts = capture.get(cv2.CAP_PROP_POS_MSEC) / 1000
        probabilities = session.run(None, {"data_0": preprocess(frame)})[0][0]
        top = np.argsort(-probabilities)[:5]
        frame_id = db.execute("INSERT INTO frames(frame_index, pts) VALUES (?, ?)", (index, pts)).lastrowid
        db.executemany("INSERT INTO labels VALUES (?, ?, ?, ?)",
                       [(frame_id, rank + 1, int(c), float(probabilities[c])) for rank, c in enumerate(top)])
        index += 1
        if index % 1000 == 0:
            db.commit()
    db.commit()
    seconds = time.perf_counter() - started
    print(json.dumps({"frames": index, "seconds": seconds, "frames_per_second": index / seconds,
                      "cpu_seconds": time.process_time() - cpu_started}))


if __name__ == "__main__":
    main(*sys.argv[1:4])
