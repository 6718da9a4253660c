"""What quantizing conv1 alone does to fp32's answers: how often the top-1 of GoogLeNet (OpenVINO, fp32, everything
else untouched) stays fp32's when conv1's input is rounded to whole grey levels or to s8 steps, and/or its weights
are s8 per output channel (fake-quantized). Frames as scripts/lib/openvino_bench.py prepares them. Run with the
python of scripts/lib/bench-venv:
    conv1_quantization_error.py ONNX CLIP [FRAMES]
"""
import sys
import numpy as np
import openvino as ov
from openvino_bench import frames

MEAN = np.array([104, 117, 123], dtype=np.float32)[None, :, None, None]


def compiled(core, onnx, quantize_weights):
    """The fp32 model, conv1's weights fake-quantized to s8 per output channel when asked."""
    model = core.read_model(onnx)
    model.reshape([1, 3, 224, 224])
    if quantize_weights:
        conv1 = next(op for op in model.get_ordered_ops()
                     if op.get_type_name() == "Convolution" and op.get_friendly_name().startswith("conv1/"))
        weights = conv1.input_value(1).get_node().get_data().astype(np.float32)
        scale = (127 / np.abs(weights).reshape(weights.shape[0], -1).max(axis=1))[:, None, None, None]
        conv1.input(1).replace_source_output(ov.op.Constant(np.round(weights * scale) / scale).output(0))
    return core.compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32", "INFERENCE_NUM_THREADS": "1",
                                             "NUM_STREAMS": "1"})


def main(onnx, clip, count):
    core = ov.Core()
    images = frames(clip, count)
    grey_levels = [np.round(image + MEAN) - MEAN for image in images]
    s8 = [np.clip(np.round(image * 127 / 151), -128, 127) * 151 / 127 for image in images]
    plain, quantized = compiled(core, onnx, False), compiled(core, onnx, True)
    top1 = lambda model, inputs: [int(np.argmax(model({0: x})[0])) for x in inputs]
    reference = top1(plain, images)
    for name, model, inputs in [("input rounded to grey levels", plain, grey_levels),
                                ("input s8 at 127/151", plain, s8),
                                ("weights s8 per channel", quantized, images),
                                ("grey levels + s8 weights", quantized, grey_levels),
                                ("s8 input + s8 weights", quantized, s8)]:
        same = sum(a == b for a, b in zip(top1(model, inputs), reference))
        print(f"{name}: top-1 agrees with fp32 on {same}/{len(reference)} = {100 * same / len(reference):.2f}%")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 325)
