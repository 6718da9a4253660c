"""Per-layer times of Framewise's engine next to OpenVINO's, as one markdown table (scripts/bench-layers).
    layer_times.py ONEDNN_VERBOSE_LOG OPENVINO_PROFILE_JSONL
The log is `ONEDNN_VERBOSE=1 framewise bench --workers 1` (one engine, one thread): every primitive's execution
with its time; a frame starts at the convolution with 3 input channels. Each primitive's time is its fastest over
the frames (noise from other processes only adds), summed per layer (an Inception module's concat counts to it). The profile is `openvino_bench.py
profile`: each node's fastest of its runs, summed per layer by the ONNX name it comes from. Conversions between
element types and layouts (reorders, quantization) are one row of their own on both sides.
"""
import json, re, sys
from collections import OrderedDict

STEM = ["conv1", "pool1", "norm1", "conv2/3x3_reduce", "conv2/3x3", "norm2", "pool2"]
MODULES = ["3a", "3b", "pool3", "4a", "4b", "4c", "4d", "4e", "pool4", "5a", "5b"]
TAIL = ["pool5", "classifier", "softmax"]
CONVERSIONS = "conversions"
ORDER = STEM + [m if m.startswith("pool") else f"inception_{m}" for m in MODULES] + TAIL + [CONVERSIONS]


def our_frames(path):
    """Each frame's primitives: (kind, implementation, shape, ms)."""
    frames, current = [], None
    for line in open(path, errors="replace"):
        if not line.startswith("onednn_verbose,exec,cpu,"):
            continue
        fields = line.rstrip("\n").split(",")
        kind, implementation, shape, ms = fields[3], fields[4], fields[-2], float(fields[-1])
        if kind == "convolution" and re.search(r"(^|_)ic3oc", shape):
            current = []
            frames.append(current)
        if current is not None:
            current.append((kind, implementation, shape, ms))
    complete = [f for f in frames[1:-1] if len(f) == len(frames[1])]
    return complete


def our_layers(path):
    """Layer -> (ms a frame: each primitive's fastest, kernels)."""
    frames = our_frames(path)
    count = len(frames[0])
    fastest = [min(f[i][3] for f in frames) for i in range(count)]
    layers = OrderedDict()
    # Every primitive but a reorder is the next stem layer, a part of the next Inception module (which ends with its
    # concat), the next pool between modules, or the next tail layer, in that order.
    names = iter(STEM + [m if m.startswith("pool") else f"inception_{m}" for m in MODULES] + TAIL)
    current = next(names)
    for (kind, implementation, _, _), ms in zip(frames[0], fastest):
        name = CONVERSIONS if kind == "reorder" else current
        total, kernels = layers.get(name, (0.0, []))
        if f"{kind}:{implementation}" not in kernels:
            kernels.append(f"{kind}:{implementation}")
        layers[name] = (total + ms, kernels)
        if name != CONVERSIONS and (not current.startswith("inception_") or kind == "concat"):
            current = next(names, "left over")
    assert "left over" not in layers, "more primitives than layers"
    return layers, len(frames)


def openvino_layer(node):
    """The Framewise layer name an OpenVINO node belongs to, from its ONNX name."""
    name = node["name"]
    if node["type"] in ("Reorder", "Convert") or "/fq_" in name or name.startswith("data_0"):
        return CONVERSIONS
    if name.startswith("inception_"):
        return name[:len("inception_3a")]
    prefixes = {layer: {"norm1": "pool1/norm1", "norm2": "conv2/norm2", "classifier": "loss3/classifier",
                        "softmax": "prob"}.get(layer, layer) for layer in ORDER}
    matching = [layer for layer, prefix in prefixes.items() if name.startswith(prefix)]
    return max(matching, key=lambda layer: len(prefixes[layer])) if matching else "other: " + name


def openvino_layers(path):
    layers = OrderedDict()
    for line in open(path):
        node = json.loads(line)
        layer = openvino_layer(node)
        total, kernels = layers.get(layer, (0.0, []))
        kernel = f"{node['type']}:{node['exec_type']}"
        if node["ms"] > 0.005 and kernel not in kernels:
            kernels.append(kernel)
        layers[layer] = (total + node["ms"], kernels)
    return layers


def main(log, profile):
    ours, frames = our_layers(log)
    theirs = openvino_layers(profile)
    print(f"Framewise: fastest of {frames} frames per primitive; OpenVINO: fastest run per node; ms a frame, 1 thread")
    print()
    print("| layer | Framewise ms | OpenVINO ms | Framewise − OpenVINO | Framewise kernels | OpenVINO kernels |")
    print("| --- | ---: | ---: | ---: | --- | --- |")
    total_ours = total_theirs = 0.0
    for layer in ORDER + [k for k in theirs if k not in ORDER]:
        mine, my_kernels = ours.get(layer, (0.0, []))
        other, other_kernels = theirs.get(layer, (0.0, []))
        total_ours += mine
        total_theirs += other
        short = lambda kernels: ", ".join(sorted(set(kernels)))
        print(f"| {layer} | {mine:.3f} | {other:.3f} | {mine - other:+.3f} | {short(my_kernels)} | {short(other_kernels)} |")
    print(f"| **total** | **{total_ours:.2f}** | **{total_theirs:.2f}** | **{total_ours - total_theirs:+.2f}** | | |")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
