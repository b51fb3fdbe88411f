import CKernels

/// A weight matrix packed once for many small products against it: the LSTM's recurrent step,
/// T products of [B × H] by the same [H × 4H] matrix. BLAS packs that matrix again at every
/// call and hands each call to its threads; here it is packed once per forward (or backward)
/// into 16-column panels that the kernel (`Sources/CKernels`, AVX2+FMA or plain C, chosen at
/// the first call) streams through with 6×16 blocks of C in registers.
struct PackedMatrix {
    private var storage = Workspace()
    private(set) var k = 0, n = 0

    /// Packs the k×n matrix B whose element (i, j) is at b[i·strideK + j·strideN]
    /// (strideK 1, strideN k: B is the transpose of a row-major n×k matrix).
    mutating func pack(_ b: UnsafePointer<Float>, k: Int, n: Int, strideK: Int, strideN: Int) {
        self.k = k; self.n = n
        let packed = storage.reserve(lstmchat_packed_count(Int32(k), Int32(n)))
        lstmchat_pack(b, Int32(k), Int32(n), strideK, strideN, packed)
    }

    /// C[m×n] += A[m×k] · B. Large products split B's panels (gate rows of the weight) over
    /// the threads; small ones run on the calling thread, where a hand-off would cost more.
    func multiplyAdd(m: Int, a: UnsafePointer<Float>, lda: Int, c: UnsafeMutablePointer<Float>, ldc: Int) {
        let panels = (n + 15) / 16, packed = UnsafePointer(storage.pointer)
        let parts = min(ThreadPolicy.threads(forFlops: 2 * m * n * k), panels)
        let (m32, n32, k32) = (Int32(m), Int32(n), Int32(k))
        guard parts > 1 else {
            lstmchat_gemm_packed(m32, 0, n32, n32, k32, a, lda, packed, c, ldc)
            return
        }
        ThreadPolicy.parallel(parts) { p in
            let first = Int32(16 * (panels * p / parts)), last = Int32(min(n, 16 * (panels * (p + 1) / parts)))
            lstmchat_gemm_packed(m32, first, last, n32, k32, a, lda, packed, c, ldc)
        }
    }

    /// The instruction set of the kernel ("AVX2+FMA" or "generic").
    static var instructionSet: String { String(cString: lstmchat_kernel_isa()) }
}

/// What lstmchat's own kernels run on, for `bench`.
public enum KernelInfo {
    public static var instructionSet: String { PackedMatrix.instructionSet }
}
