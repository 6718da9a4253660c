import CDNNL

/// Row-major single-precision matrix products for training, on oneDNN's `dnnl_sgemm` (the same library the
/// engine runs on, so training needs no BLAS of its own). Deterministic for a given thread count.
enum MatrixProduct {
    /// Whether an operand is used as stored or transposed.
    enum Operand: UInt8 {
        case asStored = 78  // "N"
        case transposed = 84  // "T"
    }

    /// `c = alpha · op(a) · op(b) + beta · c`, where op(a) is m×k, op(b) is k×n and c is m×n, all row-major.
    static func multiply(_ a: UnsafePointer<Float>, _ opA: Operand, _ b: UnsafePointer<Float>, _ opB: Operand,
                         into c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0)
    {
        let lda = opA == .asStored ? k : m
        let ldb = opB == .asStored ? n : k
        let status = dnnl_sgemm(CChar(bitPattern: opA.rawValue), CChar(bitPattern: opB.rawValue),
                                dnnl_dim_t(m), dnnl_dim_t(n), dnnl_dim_t(k), alpha, a, dnnl_dim_t(lda), b,
                                dnnl_dim_t(ldb), beta, c, dnnl_dim_t(n))
        precondition(status == dnnl_success, "dnnl_sgemm refused a product of valid shapes (\(m)×\(k)·\(k)×\(n))")
    }
}
