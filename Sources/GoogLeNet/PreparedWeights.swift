import CDNNL
import Synchronization

/// GoogLeNet's weights at one precision, together with the copies of them reordered into the layouts (and, for
/// bf16 and int8, the element types and scales) oneDNN picks, shared by every engine built from it. The first
/// engine that needs a tensor in a layout makes the copy; later engines run on the same buffer, so N engines hold
/// one reordered copy, not N. Make one per process and precision next to `ModelWeights` and pass it to every
/// `GoogLeNetEngine`; the engines compute at its precision.
///
/// A copy is written once, before it is published, and only read afterwards; the table of copies is guarded by
/// a mutex, hence `Sendable`. Each engine holds its copies, so they outlive every engine that uses them.
package final class PreparedWeights: Sendable {
    package let weights: ModelWeights
    package let numerics: EngineNumerics
    /// Copies by parameter name; normally one layout each, but an engine built differently could ask for another.
    private let reordered = Mutex<[String: [ReorderedTensor]]>([:])

    /// The weights prepared for `numerics` (fp32 unless told otherwise).
    package init(_ weights: ModelWeights, numerics: EngineNumerics = .fp32) {
        self.weights = weights
        self.numerics = numerics
    }

    package var precision: Precision { numerics.precision }

    /// Parameter `name` (dims `shape`, stored plain as `plainTag`) laid out as `desc`, multiplied by `scales` (one
    /// per index of the first dimension) on the way when given: the shared copy, made now with `context` if no
    /// engine has asked for this layout before. One `PreparedWeights` has one precision and calibration, so a
    /// name and a layout always come with the same scales.
    func tensor(_ name: String, shape: [Int], plainTag: dnnl_format_tag_t, as desc: dnnl_memory_desc_t,
                scales: [Float] = [], context: DNNLContext) throws -> ReorderedTensor {
        try reordered.withLock { copies in
            if let existing = copies[name]?.first(where: { $0.desc.isEqual(to: desc) }) { return existing }
            let made = try ReorderedTensor(weights.values(name), shape: shape, plainTag: plainTag, as: desc,
                                           scales: scales, context: context)
            copies[name, default: []].append(made)
            return made
        }
    }

    /// The u8 scale of layer `name`'s output (255 / its calibrated range); int8 only.
    func quantizationScale(of name: String) throws -> Float {
        guard case .int8(let calibration) = numerics else {
            preconditionFailure("only int8 engines quantize activations")
        }
        return try calibration.quantizationScale(of: name)
    }

    /// Bytes held by the reordered copies (for checking that engines share them).
    var reorderedByteCount: Int {
        reordered.withLock { $0.values.joined().reduce(0) { $0 + $1.desc.byteCount } }
    }
}

/// One weight tensor copied (reordered) into the layout `desc` a primitive asked for, in a buffer of its own.
///
/// Written by the reorder in `init` and never again, so engines on any thread may read it: `@unchecked Sendable`.
final class ReorderedTensor: @unchecked Sendable {
    let desc: dnnl_memory_desc_t
    private let storage: AlignedBuffer

    init(_ values: [Float], shape: [Int], plainTag: dnnl_format_tag_t, as desc: dnnl_memory_desc_t,
         scales: [Float], context: DNNLContext) throws {
        self.desc = desc
        storage = AlignedBuffer(byteCount: desc.byteCount)
        let destination = try Memory(view: desc, over: storage.pointer, context: context)
        let plainDesc = try dnnl_memory_desc_t.float32(shape, plainTag)
        try values.withUnsafeBufferPointer { buffer in
            let plain = try Memory(view: plainDesc, over: UnsafeMutableRawPointer(mutating: buffer.baseAddress!), context: context)
            try reorder(from: plain, to: destination, scales: scales, mask: scales.count > 1 ? 1 : 0, context: context)
                .execute(on: context)
            try context.wait()
        }
    }

    var data: UnsafeMutableRawPointer { storage.pointer }
}
