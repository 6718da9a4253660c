"""A Frigate-style peer for scripts/bench-cameras --peer: N RTSP cameras, one `ffmpeg` process per camera decoding
its stream and emitting 2 frames/s as raw 224x224 BGR (the centre square of 224/256 of the shorter side, as
Framewise crops), GoogLeNet on OpenVINO labelling them in this Python process (STREAMS infer requests, one
thread each), the top 5 of every frame into SQLite (one writer, a commit every 0.25 s).

Frigate's own shape: its ffmpeg input arguments (`-avoid_negative_ts make_zero -fflags +genpts+discardcorrupt
-rtsp_transport tcp -timeout 5000000`; not `-use_wallclock_as_timestamps`, so a frame keeps its stream time),
raw frames through a pipe, and a camera holding at most MAX_PENDING frames waiting for the detector (a newer one
is dropped and counted, as Frigate skips frames when its detector falls behind).

A frame's age when stored is measured from when the camera sent it: frame k of a camera is its stream's
second k/2, and the camera starts sending at (earliest over its frames of arrival - k/2); so a backlog anywhere
(the socket, ffmpeg's decoding, the detector's queue, the writer) counts. Prints one JSON line after the
measurement: frames stored and dropped in it, per camera the share of frames under 1 s old, and CPU seconds
split into decoding (the ffmpeg processes), inference (preprocessing and OpenVINO) and the rest.

Run with the python of scripts/lib/bench-venv:
    frigate_peer.py --onnx ONNX --precision fp32|int8 --work DIR --database PATH --warmup S --duration S URL...
(int8 reads DIR/int8.xml, made by `openvino_bench.py prepare`.)
"""
import argparse
import json
import os
import queue
import sqlite3
import subprocess
import sys
import threading
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from openvino_bench import compiled_model  # noqa: E402

SIZE = 224
FRAME_BYTES = SIZE * SIZE * 3
MEAN_BGR = np.array([104, 117, 123], dtype=np.float32)
FRAMES_PER_SECOND = 2
MAX_PENDING = 4


def cpu_seconds(stat_path):
    """utime + stime of a process or thread, in seconds (0 once it is gone)."""
    try:
        with open(stat_path) as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (FileNotFoundError, ProcessLookupError):
        return 0.0


class Camera:
    """One camera: its ffmpeg process and the thread reading its frames."""

    def __init__(self, index, url, detector, threads):
        self.index = index
        self.detector = detector
        self.threads = threads
        self.pending = 0
        self.lock = threading.Lock()
        self.arrivals = []  # (frame number, arrival time)
        self.dropped = []  # arrival times of dropped frames
        side = f"trunc(min(iw\\,ih)*{SIZE}/256)"
        self.process = subprocess.Popen(
            ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
             "-avoid_negative_ts", "make_zero", "-fflags", "+genpts+discardcorrupt", "-rtsp_transport", "tcp",
             "-timeout", "5000000", "-i", url,
             "-an", "-vf", f"fps={FRAMES_PER_SECOND},crop={side}:{side},scale={SIZE}:{SIZE}",
             "-f", "rawvideo", "-pix_fmt", "bgr24", "pipe:1"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=FRAME_BYTES * 2)
        self.thread = threading.Thread(target=self.read, daemon=True)
        self.thread.start()

    def read(self):
        self.threads.append(threading.get_native_id())
        number = 0
        while True:
            data = self.process.stdout.read(FRAME_BYTES)
            if len(data) < FRAME_BYTES:
                return
            arrived = time.monotonic()
            self.arrivals.append((number, arrived))
            with self.lock:
                full = self.pending >= MAX_PENDING
                if not full:
                    self.pending += 1
            if full:
                self.dropped.append(arrived)
            else:
                self.detector.put((self, number, data))
            number += 1

    def done(self):
        with self.lock:
            self.pending -= 1

    def start_time(self):
        """When the camera began sending (its frame k is sent k/2 s later)."""
        return min(arrived - number / FRAMES_PER_SECOND for number, arrived in self.arrivals)


def infer(compiled, detector, results):
    """One infer request: preprocess, run (OpenVINO computes on its own stream threads), keep the top 5."""
    request = compiled.create_infer_request()
    while True:
        item = detector.get()
        if item is None:
            return
        camera, number, data = item
        image = np.frombuffer(data, dtype=np.uint8).reshape(SIZE, SIZE, 3).astype(np.float32) - MEAN_BGR
        request.infer({0: image.transpose(2, 0, 1)[None]})
        probabilities = request.get_output_tensor(0).data[0]
        top = np.argsort(probabilities)[::-1][:5]
        camera.done()
        results.put((camera.index, number, [(int(k), float(probabilities[k])) for k in top]))


def write(database, results, stored, threads):
    """The one writer: a frame row and its top 5, committed every 0.25 s; notes when each frame was stored."""
    threads.append(threading.get_native_id())
    connection = sqlite3.connect(database)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE IF NOT EXISTS frames (id INTEGER PRIMARY KEY, camera INTEGER, number INTEGER)")
    connection.execute("CREATE TABLE IF NOT EXISTS labels (frame INTEGER, rank INTEGER, class INTEGER, score REAL)")
    batch, last = [], time.monotonic()
    finished = False
    while not finished:
        try:
            item = results.get(timeout=0.05)
            if item is None:
                finished = True
            else:
                batch.append(item)
        except queue.Empty:
            pass
        if batch and (finished or time.monotonic() - last >= 0.25):
            for camera, number, top in batch:
                frame = connection.execute("INSERT INTO frames (camera, number) VALUES (?, ?)", (camera, number)).lastrowid
                connection.executemany("INSERT INTO labels VALUES (?, ?, ?, ?)",
                                       [(frame, rank, k, score) for rank, (k, score) in enumerate(top)])
            connection.commit()
            now = time.monotonic()
            stored.extend((camera, number, now) for camera, number, _ in batch)
            batch, last = [], now
    connection.close()


def main():
    parser = argparse.ArgumentParser(description="A Frigate-style peer: ffmpeg per camera, OpenVINO, SQLite.")
    parser.add_argument("--onnx", required=True)
    parser.add_argument("--precision", choices=["fp32", "int8"], required=True)
    parser.add_argument("--work", required=True, help="where openvino_bench.py prepare wrote int8.xml")
    parser.add_argument("--database", required=True)
    parser.add_argument("--streams", type=int, default=os.cpu_count())
    parser.add_argument("--warmup", type=float, default=10)
    parser.add_argument("--duration", type=float, default=120)
    parser.add_argument("urls", nargs="+")
    arguments = parser.parse_args()

    compiled = compiled_model(arguments.onnx, arguments.precision, arguments.streams, arguments.work)
    detector, results = queue.Queue(), queue.Queue()
    # Threads that are not inference: this one, the writer, the cameras' readers.
    other_threads, stored = [threading.get_native_id()], []
    workers = [threading.Thread(target=infer, args=(compiled, detector, results), daemon=True)
               for _ in range(arguments.streams)]
    writer = threading.Thread(target=write, args=(arguments.database, results, stored, other_threads), daemon=True)
    for thread in workers + [writer]:
        thread.start()
    cameras = [Camera(index, url, detector, other_threads) for index, url in enumerate(arguments.urls, start=1)]

    def cpu():
        decoding = sum(cpu_seconds(f"/proc/{camera.process.pid}/stat") for camera in cameras)
        rest = sum(cpu_seconds(f"/proc/self/task/{tid}/stat") for tid in other_threads)
        return decoding, cpu_seconds("/proc/self/stat") - rest, rest

    time.sleep(arguments.warmup)
    began, cpu_before = time.monotonic(), cpu()
    time.sleep(arguments.duration)
    ended, cpu_after = time.monotonic(), cpu()
    for camera in cameras:
        camera.process.kill()
    for camera in cameras:
        camera.process.wait()
    for _ in workers:
        detector.put(None)
    for thread in workers:
        thread.join()
    results.put(None)
    writer.join()

    starts = {camera.index: camera.start_time() for camera in cameras if camera.arrivals}
    fresh, ages = {}, []
    for camera, number, when in stored:
        if began <= when < ended:
            age = when - (starts[camera] + number / FRAMES_PER_SECOND)
            ages.append(age)
            counts = fresh.setdefault(camera, [0, 0])
            counts[0] += 1
            counts[1] += age <= 1.0
    dropped = sum(1 for camera in cameras for when in camera.dropped if began <= when < ended)
    decoding, inference, rest = (after - before for before, after in zip(cpu_before, cpu_after))
    print(json.dumps({
        "cameras": len(cameras), "seconds": ended - began, "dropped": dropped,
        "stored": sum(counts[0] for counts in fresh.values()),
        "fresh_share": {str(index): counts[1] / counts[0] for index, counts in fresh.items()},
        "cameras_storing": len(fresh),
        "mean_age": sum(ages) / max(len(ages), 1),
        # Decoding: the ffmpeg processes (demuxing, decoding, fps, crop, scale). Inference: this process but for its
        # readers, writer and main thread (preprocessing, OpenVINO's threads); the rest: those.
        "cpu_seconds": {"decoding": decoding, "inference": inference, "rest": rest},
    }), flush=True)


if __name__ == "__main__":
    main()
