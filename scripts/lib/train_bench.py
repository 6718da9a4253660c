"""The scikit-learn side of scripts/bench-train.

  train_bench.py pictures DIR PER_CLASS   writes scikit-learn's handwritten digits (UCI, 8×8, 0–16) as 64×64 PGM
                                          pictures: DIR/train/CLASS/*.pgm (PER_CLASS of each class, seeded) and
                                          DIR/test/CLASS/*.pgm (the rest)
  train_bench.py compare DB TEST_JSONL    StandardScaler + LogisticRegressionCV(cv=5) fitted on the features the
                                          head was trained on (head_examples of DB, float32) and scored on the test
                                          pictures' features (`framewise classify --features` lines); prints JSON
"""
import json
import os
import sqlite3
import sys
import time

import numpy as np


def pictures(directory, per_class):
    from sklearn.datasets import load_digits

    digits = load_digits()
    rng = np.random.default_rng(0)
    for label in range(10):
        members = np.flatnonzero(digits.target == label)
        rng.shuffle(members)
        for position, index in enumerate(members):
            split = "train" if position < per_class else "test"
            folder = os.path.join(directory, split, str(label))
            os.makedirs(folder, exist_ok=True)
            image = np.kron(digits.images[index] * (255.0 / 16.0), np.ones((8, 8))).astype(np.uint8)
            with open(os.path.join(folder, f"{index:04d}.pgm"), "wb") as out:
                out.write(b"P5\n64 64\n255\n" + image.tobytes())


def compare(database, test_lines):
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rows = sqlite3.connect(database).execute(
        "SELECT c.name, e.features FROM head_examples AS e JOIN head_classes AS c ON c.id = e.class_id ORDER BY e.id").fetchall()
    x_train = np.array([np.frombuffer(blob, dtype="<f4") for _, blob in rows])
    y_train = np.array([name for name, _ in rows])
    x_test, y_test = [], []
    with open(test_lines) as lines:
        for line in lines:
            answer = json.loads(line)
            x_test.append(answer["features"])
            y_test.append(os.path.basename(os.path.dirname(answer["input"])))
    started = time.perf_counter()
    model = make_pipeline(StandardScaler(), LogisticRegressionCV(cv=5, max_iter=1000))
    model.fit(x_train, y_train)
    seconds = time.perf_counter() - started
    accuracy = float((model.predict(np.array(x_test)) == np.array(y_test)).mean())
    print(json.dumps({"train": len(y_train), "test": len(y_test), "accuracy": accuracy, "fit_seconds": seconds,
                      "C": float(model[-1].C_[0])}))


if __name__ == "__main__":
    if sys.argv[1] == "pictures":
        pictures(sys.argv[2], int(sys.argv[3]))
    else:
        compare(sys.argv[2], sys.argv[3])
