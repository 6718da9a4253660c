package import CDNNL

// Thin Swift owners for the oneDNN C handles the engine uses. Each class owns exactly one handle and
// releases it in deinit; none is shared between engines (each worker builds its own), so they are not
// Sendable. Only weight buffers are shared, and only read (see `PreparedWeights`).

/// An error reported by oneDNN, with the call that failed.
package struct DNNLError: Error, CustomStringConvertible {
    package let operation: String
    package let status: dnnl_status_t
    package var description: String { "oneDNN: \(operation) failed (status \(status.rawValue))" }
}

func check(_ status: dnnl_status_t, _ operation: @autoclosure () -> String) throws {
    guard status == dnnl_success else { throw DNNLError(operation: operation(), status: status) }
}

/// oneDNN's fixed-size dims array (`dnnl_dims_t`, 12 entries) from Swift integers, passed to C as a pointer.
func dnnlDims(_ values: [Int]) -> [dnnl_dim_t] {
    values.map { dnnl_dim_t($0) } + Array(repeating: 0, count: Int(DNNL_MAX_NDIMS) - values.count)
}

extension dnnl_memory_desc_t {
    /// A float32 descriptor with the given logical dims and layout (`dnnl_format_tag_any` lets the primitive choose).
    static func float32(_ dims: [Int], _ tag: dnnl_format_tag_t) throws -> dnnl_memory_desc_t {
        try make(dims, dnnl_f32, tag)
    }

    /// A descriptor of the given element type, logical dims and layout.
    static func make(_ dims: [Int], _ type: dnnl_data_type_t, _ tag: dnnl_format_tag_t) throws -> dnnl_memory_desc_t {
        var desc = dnnl_memory_desc_t()
        try check(dnnl_memory_desc_init_by_tag(&desc, Int32(dims.count), dnnlDims(dims), type, tag),
                  "memory_desc_init \(dims)")
        return desc
    }

    var dataType: dnnl_data_type_t { data_type }

    var byteCount: Int {
        var desc = self
        return dnnl_memory_desc_get_size(&desc)
    }

    func isEqual(to other: dnnl_memory_desc_t) -> Bool {
        var lhs = self, rhs = other
        return dnnl_memory_desc_equal(&lhs, &rhs) != 0
    }
}

/// A CPU engine and the in-order stream primitives run on.
final class DNNLContext {
    let engine: dnnl_engine_t
    let stream: dnnl_stream_t

    init() throws {
        var engine: dnnl_engine_t?
        try check(dnnl_engine_create(&engine, dnnl_cpu, 0), "engine_create")
        var stream: dnnl_stream_t?
        do {
            try check(dnnl_stream_create(&stream, engine, UInt32(dnnl_stream_default_flags.rawValue)), "stream_create")
        } catch {
            dnnl_engine_destroy(engine)
            throw error
        }
        self.engine = engine!
        self.stream = stream!
    }

    func wait() throws { try check(dnnl_stream_wait(stream), "stream_wait") }

    deinit {
        dnnl_stream_destroy(stream)
        dnnl_engine_destroy(engine)
    }
}

/// A zero-filled, 64-byte-aligned heap buffer, freed with its owner.
final class AlignedBuffer {
    let pointer: UnsafeMutableRawPointer

    init(byteCount: Int) {
        let bytes = max(byteCount, 64)
        pointer = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        pointer.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
    }

    deinit { pointer.deallocate() }
}

/// A memory object over a buffer. It either owns a buffer of its own, or views a part of a parent `Memory`'s
/// buffer, or a weight tensor shared between engines, and keeps what it views alive; or it wraps a buffer the
/// caller keeps alive while it is used.
final class Memory {
    let handle: dnnl_memory_t
    let desc: dnnl_memory_desc_t
    /// What keeps the buffer alive: an `AlignedBuffer`, the parent `Memory`, a `ReorderedTensor`, or nil.
    private let storage: AnyObject?

    /// A new zero-filled buffer laid out as `desc`.
    convenience init(_ desc: dnnl_memory_desc_t, context: DNNLContext) throws {
        let buffer = AlignedBuffer(byteCount: desc.byteCount)
        try self.init(desc, buffer: buffer.pointer, storage: buffer, context: context)
    }

    /// A view of the part of `parent`'s buffer that starts `byteOffset` bytes in, laid out as `desc`.
    convenience init(view desc: dnnl_memory_desc_t, of parent: Memory, byteOffset: Int, context: DNNLContext) throws {
        try self.init(desc, buffer: parent.data + byteOffset, storage: parent, context: context)
    }

    /// A view of a weight tensor that other engines may be reading too (nothing writes it).
    convenience init(sharing tensor: ReorderedTensor, context: DNNLContext) throws {
        try self.init(tensor.desc, buffer: tensor.data, storage: tensor, context: context)
    }

    /// A view of a buffer the caller owns and keeps alive while this memory is used.
    convenience init(view desc: dnnl_memory_desc_t, over buffer: UnsafeMutableRawPointer, context: DNNLContext) throws {
        try self.init(desc, buffer: buffer, storage: nil, context: context)
    }

    private init(_ desc: dnnl_memory_desc_t, buffer: UnsafeMutableRawPointer, storage: AnyObject?,
                 context: DNNLContext) throws {
        var memory: dnnl_memory_t?
        var descCopy = desc
        try check(dnnl_memory_create(&memory, &descCopy, context.engine, buffer), "memory_create \(desc.shape)")
        self.handle = memory!
        self.desc = desc
        self.storage = storage
    }

    var data: UnsafeMutableRawPointer {
        var pointer: UnsafeMutableRawPointer?
        dnnl_memory_get_data_handle(handle, &pointer)
        return pointer!
    }

    deinit { dnnl_memory_destroy(handle) }
}

/// A primitive descriptor: oneDNN's choice of implementation and memory layouts for one operation.
final class PrimitiveDescriptor {
    let handle: dnnl_primitive_desc_t

    /// Creates the descriptor for an operation descriptor (`dnnl_convolution_desc_t`, ...), with optional attributes.
    init<OperationDesc>(_ operation: OperationDesc, attributes: PrimitiveAttributes? = nil, context: DNNLContext,
                        what: String) throws {
        var operation = operation
        var descriptor: dnnl_primitive_desc_t?
        try withUnsafeBytes(of: &operation) { bytes in
            try check(dnnl_primitive_desc_create(&descriptor, bytes.baseAddress, attributes?.handle, context.engine, nil), what)
        }
        handle = descriptor!
    }

    /// Adopts a descriptor made by one of oneDNN's non-op-desc constructors (concat, reorder).
    init(adopting handle: dnnl_primitive_desc_t) { self.handle = handle }

    func memoryDesc(_ query: dnnl_query_t, index: Int32 = 0) -> dnnl_memory_desc_t {
        dnnl_primitive_desc_query_md(handle, query, index).pointee
    }

    /// oneDNN's name for the implementation it picked (e.g. "brg:avx512_core"), for diagnostics.
    var implementation: String {
        var name: UnsafePointer<CChar>?
        dnnl_primitive_desc_query(handle, dnnl_query_impl_info_str, 0, &name)
        return name.map { String(cString: $0) } ?? "?"
    }

    deinit { dnnl_primitive_desc_destroy(handle) }
}

/// Primitive attributes: optional output scales (int8: the factor from the accumulator to the destination's
/// quantized values, per output channel when `scaleMask` names that dimension) and an optional fused ReLU.
final class PrimitiveAttributes {
    let handle: dnnl_primitive_attr_t

    init(relu: Bool = false, outputScales: [Float] = [], scaleMask: Int32 = 0) throws {
        var attributes: dnnl_primitive_attr_t?
        try check(dnnl_primitive_attr_create(&attributes), "primitive_attr_create")
        handle = attributes!
        if !outputScales.isEmpty {
            try check(dnnl_primitive_attr_set_output_scales(handle, dnnl_dim_t(outputScales.count), scaleMask, outputScales),
                      "set_output_scales")
        }
        if relu {
            var postOps: dnnl_post_ops_t?
            try check(dnnl_post_ops_create(&postOps), "post_ops_create")
            defer { dnnl_post_ops_destroy(postOps) }
            try check(dnnl_post_ops_append_eltwise(postOps, 1, dnnl_eltwise_relu, 0, 0), "append ReLU")
            try check(dnnl_primitive_attr_set_post_ops(handle, postOps), "set_post_ops")
        }
    }

    deinit { dnnl_primitive_attr_destroy(handle) }
}

/// An executable primitive bound to its arguments (memory objects are kept alive with it).
final class BoundPrimitive {
    private let handle: dnnl_primitive_t
    private let arguments: [dnnl_exec_arg_t]
    private let keepAlive: [Memory]

    init(_ descriptor: PrimitiveDescriptor, arguments: [(Int32, Memory)]) throws {
        var primitive: dnnl_primitive_t?
        try check(dnnl_primitive_create(&primitive, descriptor.handle), "primitive_create \(descriptor.implementation)")
        handle = primitive!
        self.arguments = arguments.map { dnnl_exec_arg_t(arg: $0.0, memory: $0.1.handle) }
        keepAlive = arguments.map(\.1)
    }

    func execute(on context: DNNLContext) throws {
        try arguments.withUnsafeBufferPointer { args in
            try check(dnnl_primitive_execute(handle, context.stream, Int32(args.count), args.baseAddress), "primitive_execute")
        }
    }

    deinit { dnnl_primitive_destroy(handle) }
}
