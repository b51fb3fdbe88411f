// Small-batch matrix products against a weight matrix packed once (the LSTM's recurrent step).
#include "kernels.h"
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

enum { NR = 16, MR = 6 };

size_t lstmchat_packed_count(int k, int n) { return (size_t)((n + NR - 1) / NR) * NR * (size_t)k; }

void lstmchat_pack(const float *b, int k, int n, long strideK, long strideN, float *packed) {
    for (int p = 0; p < n; p += NR) {
        float *panel = packed + (size_t)p * k;
        for (int kk = 0; kk < k; kk++)
            for (int j = 0; j < NR; j++)
                panel[(size_t)kk * NR + j] = p + j < n ? b[kk * strideK + (long)(p + j) * strideN] : 0.0f;
    }
}

// C[rows, 16 columns] += A[rows, k] · panel[k, 16], `rows` ≤ MR; `cols` < 16 writes only those.
static inline __attribute__((always_inline)) void block_generic(
    int rows, int cols, int k, const float *a, long lda, const float *panel, float *c, long ldc) {
    float acc[MR][NR] = {{0}};
    for (int kk = 0; kk < k; kk++) {
        const float *bp = panel + (size_t)kk * NR;
        for (int r = 0; r < rows; r++) {
            float av = a[r * lda + kk];
            for (int j = 0; j < NR; j++) acc[r][j] += av * bp[j];
        }
    }
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < cols; j++) c[r * ldc + j] += acc[r][j];
}

static void gemm_generic(int m, int n0, int n1, int n, int k, const float *a, long lda,
                         const float *packed, float *c, long ldc) {
    for (int p = n0; p < n1; p += NR) {
        int cols = n - p < NR ? n - p : NR;
        const float *panel = packed + (size_t)p * k;
        for (int i = 0; i < m; i += MR)
            block_generic(m - i < MR ? m - i : MR, cols, k, a + i * lda, lda, panel, c + i * ldc + p, ldc);
    }
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static inline __attribute__((always_inline)) void block_avx2(
    const int rows, int cols, int k, const float *a, long lda, const float *panel, float *c, long ldc) {
    __m256 acc0[MR], acc1[MR];
    for (int r = 0; r < MR; r++) { acc0[r] = _mm256_setzero_ps(); acc1[r] = _mm256_setzero_ps(); }
    // C of a step was written long before (the input projection of all steps) and is out of
    // cache: fetch its lines now, so that the adds after the k loop do not wait for them.
    for (int r = 0; r < rows; r++) {
        _mm_prefetch((const char *)(c + r * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + r * ldc + NR - 1), _MM_HINT_T0);
    }
    for (int kk = 0; kk < k; kk++) {
        __m256 b0 = _mm256_loadu_ps(panel + (size_t)kk * NR), b1 = _mm256_loadu_ps(panel + (size_t)kk * NR + 8);
        for (int r = 0; r < MR; r++) {
            if (r < rows) {
                __m256 av = _mm256_broadcast_ss(a + r * lda + kk);
                acc0[r] = _mm256_fmadd_ps(av, b0, acc0[r]);
                acc1[r] = _mm256_fmadd_ps(av, b1, acc1[r]);
            }
        }
    }
    for (int r = 0; r < rows; r++) {
        float *cr = c + r * ldc;
        if (cols == NR) {
            _mm256_storeu_ps(cr, _mm256_add_ps(_mm256_loadu_ps(cr), acc0[r]));
            _mm256_storeu_ps(cr + 8, _mm256_add_ps(_mm256_loadu_ps(cr + 8), acc1[r]));
        } else {
            float t[NR];
            _mm256_storeu_ps(t, acc0[r]); _mm256_storeu_ps(t + 8, acc1[r]);
            for (int j = 0; j < cols; j++) cr[j] += t[j];
        }
    }
}

__attribute__((target("avx2,fma"))) static void gemm_avx2(int m, int n0, int n1, int n, int k, const float *a, long lda,
                                                        const float *packed, float *c, long ldc) {
    for (int p = n0; p < n1; p += NR) {
        int cols = n - p < NR ? n - p : NR;
        const float *panel = packed + (size_t)p * k;
        int i = 0;
        for (; i + MR <= m; i += MR) block_avx2(MR, cols, k, a + i * lda, lda, panel, c + i * ldc + p, ldc);
        switch (m - i) {  // the rows left, each count its own unrolled copy
        case 5: block_avx2(5, cols, k, a + i * lda, lda, panel, c + i * ldc + p, ldc); break;
        case 4: block_avx2(4, cols, k, a + i * lda, lda, panel, c + i * ldc + p, ldc); break;
        case 3: block_avx2(3, cols, k, a + i * lda, lda, panel, c + i * ldc + p, ldc); break;
        case 2: block_avx2(2, cols, k, a + i * lda, lda, panel, c + i * ldc + p, ldc); break;
        case 1: block_avx2(1, cols, k, a + i * lda, lda, panel, c + i * ldc + p, ldc); break;
        default: break;
        }
    }
}
#endif

typedef void (*gemm_fn)(int, int, int, int, int, const float *, long, const float *, float *, long);
static gemm_fn chosen;
static const char *chosen_name;

static void choose(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) { chosen = gemm_avx2; chosen_name = "AVX2+FMA"; return; }
#endif
    chosen = gemm_generic; chosen_name = "generic";
}

const char *lstmchat_kernel_isa(void) { if (!chosen) choose(); return chosen_name; }

void lstmchat_gemm_packed(int m, int n0, int n1, int n, int k, const float *a, long lda,
                          const float *packed, float *c, long ldc) {
    if (!chosen) choose();
    chosen(m, n0, n1, n, k, a, lda, packed, c, ldc);
}
