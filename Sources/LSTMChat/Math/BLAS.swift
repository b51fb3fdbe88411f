import CBLAS
import Dispatch

/// Row-major matrix products through BLAS. Every matrix product in lstmchat goes through here.
///
/// `gemm` computes C = alpha · op(A) · op(B) + beta · C, where op(X) is X or Xᵀ,
/// op(A) is m×k, op(B) is k×n and C is m×n; `lda`, `ldb`, `ldc` are the row strides.
/// A product with one row (generation: batch of one) goes to sgemv, which OpenBLAS runs
/// 10–20× faster than sgemm with m = 1.
///
/// BLAS itself runs on one thread; lstmchat splits a large product over its own threads
/// (`ThreadPolicy.threads`) by blocks of `ThreadPolicy.rowUnit` rows of C (one row's outputs of
/// a one-row product), each block a BLAS call of its own. Each element of C is then summed by
/// the same kernel in the same order however many threads there are, so a run's results do not
/// depend on its thread count (OpenBLAS's own threading changes the last bits), and the thread
/// count can change while training without changing what it computes.
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
        // With B transposed each output is a dot product with one row of B: split those rows.
        // (OpenBLAS's other sgemv sums a column block at a time, so it is not split.)
        let parts = ThreadPolicy.parts(rows: transB ? n : 0, flops: 2 * n * k, oneRow: true)
        ThreadPolicy.forEachBlock(rows: n, parts: parts) { j0, j1 in
            cblas_sgemv(CblasRowMajor, transB ? CblasNoTrans : CblasTrans, Int32(transB ? j1 - j0 : k), Int32(transB ? k : n),
                        alpha, b + j0 * ldb, Int32(ldb), a, transA ? Int32(lda) : 1, beta, c + j0, 1)
        }
        return
    }
    ThreadPolicy.forEachBlock(rows: m, parts: ThreadPolicy.parts(rows: m, flops: 2 * m * n * k)) { i0, i1 in
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(i1 - i0), Int32(n), Int32(k), alpha, transA ? a + i0 : a + i0 * lda, Int32(lda), b, Int32(ldb),
            beta, c + i0 * ldc, Int32(ldc))
    }
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
    /// BLAS's own threads: 1 while lstmchat splits the products itself (`ThreadPolicy`).
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(newValue)) }
    }
}
