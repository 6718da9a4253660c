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

    /// `c[i] = Σ a[i·stride + j] · b[j]` for i < m, j < k: int8 rows (each `stride` bytes apart) times an int8
    /// vector, summed in Int32, on oneDNN's `dnnl_gemm_s8s8s32` (the CPU's int8 multiply-adds, chosen at run time).
    /// `b` must lie in −63…63: without VNNI the CPU adds two u8 × s8 products in 16 bits, which rows shifted to
    /// u8 (up to 255) times values up to 63 cannot overflow.
    static func int8Products(rows a: UnsafePointer<Int8>, stride: Int, m: Int, k: Int, vector b: UnsafePointer<Int8>,
                             into c: UnsafeMutablePointer<Int32>) {
        var zero: Int32 = 0
        let status = dnnl_gemm_s8s8s32(CChar(bitPattern: Operand.asStored.rawValue), CChar(bitPattern: Operand.asStored.rawValue),
                                       CChar(bitPattern: 70 /* "F": one offset for all of c */), dnnl_dim_t(m), 1, dnnl_dim_t(k), 1,
                                       a, dnnl_dim_t(stride), 0, b, 1, 0, 0, c, 1, &zero)
        precondition(status == dnnl_success, "dnnl_gemm_s8s8s32 refused a product of valid shapes (\(m)×\(k)·\(k)×1)")
    }
}
