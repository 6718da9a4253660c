import CDNNL

/// The number format the engine computes in. fp32 everywhere; bf16 weights and activations with fp32
/// accumulation (needs AVX512_BF16 or AMX); int8: s8 weights and u8 activations with per-channel scales, from a
/// calibration of the model (see `Calibration` and ARCHITECTURE.md for which layers stay fp32).
package enum Precision: String, Sendable, CaseIterable, CustomStringConvertible {
    case fp32, bf16, int8

    package var description: String { rawValue }
}

/// What oneDNN can run on this CPU, as oneDNN itself sees it: `ONEDNN_MAX_CPU_ISA` (oneDNN's own switch, read
/// once per process) makes a CPU look older, e.g. `ONEDNN_MAX_CPU_ISA=AVX512_CORE_VNNI` simulates a CPU
/// without AVX512_BF16.
package enum CPUSupport {
    /// oneDNN's name for the instruction set it uses here.
    package static var instructionSet: String {
        switch effective {
        case dnnl_cpu_isa_avx2_vnni: "AVX2_VNNI"
        case dnnl_cpu_isa_avx512_core_amx: "AVX512_CORE_AMX"
        case dnnl_cpu_isa_avx512_core_bf16: "AVX512_CORE_BF16"
        case dnnl_cpu_isa_avx512_core_vnni: "AVX512_CORE_VNNI"
        case dnnl_cpu_isa_avx512_core: "AVX512_CORE"
        case dnnl_cpu_isa_avx2: "AVX2"
        case dnnl_cpu_isa_avx: "AVX"
        case dnnl_cpu_isa_sse41: "SSE41"
        default: "other (0x\(String(effective.rawValue, radix: 16)))"
        }
    }

    /// Whether `precision` runs on native instructions here (bf16 needs AVX512_BF16 or AMX: oneDNN would
    /// otherwise emulate it slowly on AVX-512, or not run it at all; int8 needs at least AVX2, and runs
    /// fastest with VNNI).
    package static func supports(_ precision: Precision) -> Bool {
        switch precision {
        case .fp32: true
        case .bf16: has(dnnl_cpu_isa_avx512_core_bf16)
        case .int8: has(dnnl_cpu_isa_avx2)
        }
    }

    /// Throws the one-line explanation when `precision` cannot run here.
    package static func require(_ precision: Precision) throws {
        guard supports(precision) else { throw UnsupportedPrecision(precision: precision, instructionSet: instructionSet) }
    }

    static var hasAVX512: Bool { has(dnnl_cpu_isa_avx512_core) }

    /// Whether oneDNN's int8 convolutions add each u8 × s8 product into 32 bits (AVX-512 VNNI). Without it they
    /// add pairs of products in 16 bits first, which saturate past 32,767: two pixels of 255 under weights of 127
    /// do (on this CPU held to AVX2, conv1 with 8-bit weights agreed with fp32 on 86% of the photo clip's frames
    /// instead of 98%), so conv1's weights keep 7 bits there (2 × 255 × 63 < 32,767).
    static var addsInt8ProductsIn32Bits: Bool { has(dnnl_cpu_isa_avx512_core_vnni) }

    private static var effective: dnnl_cpu_isa_t { dnnl_get_effective_cpu_isa() }

    /// oneDNN's ISA values are cumulative bit sets: a CPU has `isa` when every bit of it is set.
    private static func has(_ isa: dnnl_cpu_isa_t) -> Bool { effective.rawValue & isa.rawValue == isa.rawValue }
}

/// A precision this CPU cannot run natively.
package struct UnsupportedPrecision: Error, CustomStringConvertible {
    package let precision: Precision
    package let instructionSet: String
    package var description: String {
        switch precision {
        case .bf16: "bf16 needs a CPU with AVX512_BF16 or AMX; this one offers \(instructionSet) (use --precision fp32 or int8)"
        default: "\(precision) needs at least AVX2; this CPU offers \(instructionSet) (use --precision fp32)"
        }
    }
}

/// A precision with what it needs to run: int8 carries its calibration.
package enum EngineNumerics: Sendable {
    case fp32, bf16
    case int8(Calibration)

    package var precision: Precision {
        switch self {
        case .fp32: .fp32
        case .bf16: .bf16
        case .int8: .int8
        }
    }
}

extension EngineNumerics {
    /// The element type `layer` computes in, or nil when it takes its input as it comes (max pooling). int8 keeps
    /// the LRNs, the average pool (the features) and the softmax in fp32 (see ARCHITECTURE.md for the numbers),
    /// its first convolution reads the picture's own pixels as u8 (`PaddedPixels`) and the classifier the
    /// features quantized at their own range; bf16 runs everything but the softmax in bf16.
    func inputType(of layer: Layer) -> dnnl_data_type_t? {
        switch (self, layer) {
        case (.fp32, _): nil
        case (.bf16, .softmax): dnnl_f32
        case (.bf16, _): dnnl_bf16
        case (.int8, .maxPool): nil
        case (.int8, .convolution), (.int8, .inception), (.int8, .fullyConnected): dnnl_u8
        case (.int8, _): dnnl_f32
        }
    }

    /// The layout `layer` reads its input in, given the element type it computes in, or nil when it takes the
    /// input's layout as it comes (pools, the classifier and the softmax in floats). u8 is nhwc (the only layout
    /// of oneDNN 2.6's int8 kernels on AVX2); the LRNs read nhwc at every precision (oneDNN's LRN across channels
    /// is ~1.6× faster there than on nChw16c, and ~6× than on AVX2's nChw8c: docs/measurements.md); float
    /// convolutions and Inception modules read the blocked layout (the in-place concatenation needs it).
    func inputLayout(of layer: Layer, type: dnnl_data_type_t) -> dnnl_format_tag_t? {
        if type == dnnl_u8 { return dnnl_nhwc }
        switch layer {
        case .localResponseNormalization: return dnnl_nhwc
        case .convolution, .inception: return activationBlock == 16 ? dnnl_nChw16c : dnnl_nChw8c
        default: return nil
        }
    }

    /// Channels per block of the engine's blocked float layouts: 16 with AVX-512, 8 with AVX2.
    var activationBlock: Int { CPUSupport.hasAVX512 ? 16 : 8 }
}
