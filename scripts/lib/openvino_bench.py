"""OpenVINO (PyPI `openvino`, int8 through `nncf`) on GoogLeNet's ONNX file, for the benchmarks that compare
Framewise with it (scripts/bench-vs-openvino, scripts/bench-cameras --peer). Run with the python of
scripts/lib/bench-venv:
    openvino_bench.py prepare ONNX CLIP FRAMES WORK     # NNCF int8 calibrated on FRAMES frames of CLIP -> WORK/int8.xml
    openvino_bench.py measure ONNX PRECISION SECONDS STREAMS WORK   # frames/s with STREAMS streams x 1 thread
    openvino_bench.py profile ONNX PRECISION RUNS WORK   # per layer, 1 stream x 1 thread: fastest of RUNS, JSON lines
"""
import json, sys, time
import numpy as np
import openvino as ov

def frames(clip, count):
    """Evenly spaced frames, preprocessed as Framewise does: centre square of 224/256 of the shorter side,
    bilinear to 224x224, BGR minus the mean, planar."""
    import cv2
    capture = cv2.VideoCapture(clip)
    total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    wanted = {int(k * total / count) for k in range(count)}
    result, index = [], 0
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        if index in wanted:
            h, w = frame.shape[:2]
            side = int(min(h, w) * 224 / 256)
            y, x = (h - side) // 2, (w - side) // 2
            crop = cv2.resize(frame[y:y + side, x:x + side], (224, 224), interpolation=cv2.INTER_LINEAR).astype(np.float32)
            crop -= np.array([104, 117, 123], dtype=np.float32)
            result.append(crop.transpose(2, 0, 1)[None].copy())
        index += 1
    return result

def load(core, onnx, precision, work):
    if precision == "int8":
        return core.read_model(f"{work}/int8.xml")
    model = core.read_model(onnx)
    model.reshape([1, 3, 224, 224])
    return model

def prepare(onnx, clip, count, work):
    import nncf
    core = ov.Core()
    model = core.read_model(onnx)
    model.reshape([1, 3, 224, 224])
    data = frames(clip, count)
    quantized = nncf.quantize(model, nncf.Dataset(data), subset_size=len(data))
    ov.save_model(quantized, f"{work}/int8.xml")
    capabilities = core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    print(json.dumps({"version": ov.__version__, "frames": len(data), "bf16": "BF16" in capabilities}))

def compiled_model(onnx, precision, streams, work):
    """The model at PRECISION (int8: WORK/int8.xml from `prepare`) on the CPU with STREAMS streams x 1 thread."""
    core = ov.Core()
    hint = "bf16" if precision == "bf16" else "f32"
    return core.compile_model(load(core, onnx, precision, work), "CPU", {
        "INFERENCE_PRECISION_HINT": hint, "NUM_STREAMS": str(streams), "INFERENCE_NUM_THREADS": str(streams),
        "PERFORMANCE_HINT": "THROUGHPUT"})

def measure(onnx, precision, seconds, streams, work):
    compiled = compiled_model(onnx, precision, streams, work)
    image = np.random.default_rng(0).uniform(-120, 130, size=(1, 3, 224, 224)).astype(np.float32)
    queue = ov.AsyncInferQueue(compiled, streams)
    for _ in range(streams * 2):
        queue.start_async({0: image})
    queue.wait_all()
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        queue.start_async({0: image})
        count += 1
    queue.wait_all()
    elapsed = time.perf_counter() - start
    import resource
    print(json.dumps({"frames_per_second": count / elapsed,
                      "peak_resident_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))

def profile(onnx, precision, runs, work):
    """OpenVINO's own per-layer times (PERF_COUNT) on 1 stream x 1 thread: each executed node's fastest of RUNS
    inferences, in execution order, one JSON object a line (name, type, exec_type, ms)."""
    core = ov.Core()
    hint = "bf16" if precision == "bf16" else "f32"
    compiled = core.compile_model(load(core, onnx, precision, work), "CPU", {
        "INFERENCE_PRECISION_HINT": hint, "NUM_STREAMS": "1", "INFERENCE_NUM_THREADS": "1", "PERF_COUNT": "YES"})
    request = compiled.create_infer_request()
    image = np.random.default_rng(0).uniform(-120, 130, size=(1, 3, 224, 224)).astype(np.float32)
    fastest = {}
    order = []
    for _ in range(runs):
        request.infer({0: image})
        for info in request.get_profiling_info():
            if info.status != info.Status.EXECUTED:
                continue
            ms = info.real_time.total_seconds() * 1000
            if info.node_name not in fastest:
                order.append(info.node_name)
                fastest[info.node_name] = (info.node_type, info.exec_type, ms)
            else:
                kind, exec_type, best = fastest[info.node_name]
                fastest[info.node_name] = (kind, exec_type, min(best, ms))
    for name in order:
        kind, exec_type, ms = fastest[name]
        print(json.dumps({"name": name, "type": kind, "exec_type": exec_type, "ms": ms}))

if __name__ == "__main__":
    if sys.argv[1] == "prepare":
        prepare(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    elif sys.argv[1] == "profile":
        profile(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    else:
        measure(sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5]), sys.argv[6])
