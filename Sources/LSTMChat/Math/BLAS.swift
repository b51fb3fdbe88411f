import CBLAS

/// Row-major matrix products through BLAS. Every matrix product in lstmchat goes through here.
///
/// `gemm` computes C = alpha · op(A) · op(B) + beta · C, where op(X) is X or Xᵀ,
/// op(A) is m×k, op(B) is k×n and C is m×n; `lda`, `ldb`, `ldc` are the row strides.
/// A product with one row (generation: batch of one) goes to sgemv, which OpenBLAS runs
/// 10–20× faster than sgemm with m = 1.
@inline(__always)
func gemm(
    transA: Bool = false, transB: Bool = false,
    m: Int, n: Int, k: Int,
    alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    guard m > 0, n > 0 else { return }
    guard k > 0 else {  // BLAS leaves C untouched for k = 0 only if beta == 1; make it exact.
        for i in 0..<m { for j in 0..<n { c[i * ldc + j] *= beta } }
        return
    }
    if m == 1 {  // c = op(B)ᵀ · a, a read with stride lda when A is transposed
        cblas_sgemv(CblasRowMajor, transB ? CblasNoTrans : CblasTrans, Int32(transB ? n : k), Int32(transB ? k : n),
                    alpha, b, Int32(ldb), a, transA ? Int32(lda) : 1, beta, c, 1)
        return
    }
    cblas_sgemm(
        CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
        Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// The BLAS library in use: its name, the kernel set (core type) it chose, and its thread count.
public enum BLASInfo {
    public static var coreName: String {
        #if os(Linux)
        return String(cString: openblas_get_corename())
        #else
        return "unknown"
        #endif
    }
    public static var config: String {
        #if os(Linux)
        return String(cString: openblas_get_config())
        #else
        return "unknown"
        #endif
    }
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(newValue)) }
    }
}
