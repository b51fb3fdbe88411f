// int8 products against a weight matrix quantized and packed once (generation with
// `--quantize int8`): one kernel per instruction set, chosen at the first call.
#include "quantized.h"
#include <math.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

// W is packed in groups of 64 rows (4 panels of 16), each group one contiguous stream: for each
// group of 4 columns, 256 bytes, panel p's 64 bytes at 64·p, row j of the panel at 4·j.
enum { PANEL = 16, GROUP = 64, MR = 4 };

// The 64 bytes of the panel holding row `row` (a multiple of 16), column group 0; the next column
// group is 256 bytes on.
static inline const int8_t *panel_of(const int8_t *packed, int row, int kp) {
    return packed + (size_t)(row / GROUP) * GROUP * kp + (size_t)(row % GROUP / PANEL) * 64;
}

int lstmchat_q8_padded_k(int k) { return (k + 3) & ~3; }

size_t lstmchat_q8_packed_bytes(int n, int k) {
    return (size_t)((n + GROUP - 1) / GROUP) * GROUP * (size_t)lstmchat_q8_padded_k(k);
}

void lstmchat_q8_pack(const int8_t *w, int n, int k, int8_t *packed, int32_t *rowSums) {
    const int kp = lstmchat_q8_padded_k(k), rows = (n + GROUP - 1) / GROUP * GROUP;
    for (int row = 0; row < rows; row++) {
        int8_t *panel = (int8_t *)panel_of(packed, row - row % PANEL, kp);
        int32_t sum = 0;
        for (int col = 0; col < kp; col++) {
            const int8_t v = row < n && col < k ? w[(size_t)row * k + col] : 0;
            panel[(size_t)(col / 4) * 256 + 4 * (row % PANEL) + col % 4] = v;
            sum += v;
        }
        rowSums[row] = 128 * sum;
    }
}

void lstmchat_q8_quantize_rows(int m, int k, const float *x, long ldx, int8_t *xq, float *scale) {
    const int kp = lstmchat_q8_padded_k(k);
    for (int r = 0; r < m; r++) {
        const float *xr = x + r * ldx;
        int8_t *q = xq + (size_t)r * kp;
        float largest = 0;
        for (int i = 0; i < k; i++) largest = fmaxf(largest, fabsf(xr[i]));
        const float s = largest > 0 ? largest / 127.0f : 1.0f, inverse = 1.0f / s;
        for (int i = 0; i < k; i++) {
            float v = rintf(xr[i] * inverse);
            q[i] = (int8_t)(v > 127 ? 127 : v < -127 ? -127 : v);
        }
        for (int i = k; i < kp; i++) q[i] = 0;
        scale[r] = s;
    }
}

// The float part, one function for every kernel: built for the baseline instruction set and
// never inlined into a kernel built for another, so that no kernel fuses its multiply and add.
__attribute__((noinline)) static void finish(int cols, const int32_t *acc, float xScale, const float *wScale,
                                             const float *bias, int accumulate, float *y) {
#pragma clang fp contract(off)
    if (accumulate) {
        for (int j = 0; j < cols; j++) y[j] = y[j] + (float)acc[j] * (xScale * wScale[j]);
    } else if (bias) {
        for (int j = 0; j < cols; j++) y[j] = bias[j] + (float)acc[j] * (xScale * wScale[j]);
    } else {
        for (int j = 0; j < cols; j++) y[j] = (float)acc[j] * (xScale * wScale[j]);
    }
}

static void gemm_generic(int m, int n, int k, const int8_t *xq, const float *xScale, const int8_t *packed,
                         const int32_t *rowSums, const float *wScale, const float *bias, int accumulate, float *y, long ldy) {
    (void)rowSums;
    const int kp = lstmchat_q8_padded_k(k);
    for (int p0 = 0; p0 < n; p0 += PANEL) {
        const int8_t *panel = panel_of(packed, p0, kp);
        const int cols = n - p0 < PANEL ? n - p0 : PANEL;
        for (int r = 0; r < m; r++) {
            const int8_t *xr = xq + (size_t)r * kp;
            int32_t acc[PANEL] = {0};
            for (int q = 0; q < kp / 4; q++)
                for (int j = 0; j < PANEL; j++)
                    for (int t = 0; t < 4; t++) acc[j] += (int32_t)xr[4 * q + t] * panel[(size_t)q * 256 + 4 * j + t];
            finish(cols, acc, xScale[r], wScale + p0, bias ? bias + p0 : NULL, accumulate, y + r * ldy + p0);
        }
    }
}

// Writes the int32 sums of a block (R rows of x, `width` rows of W from p0) through `finish`.
static void finish_block(int R, int width, int32_t acc[MR][GROUP], int i, int p0, int n, const float *xScale,
                         const float *wScale, const float *bias, int accumulate, float *y, long ldy) {
    const int cols = n - p0 < width ? n - p0 : width;
    for (int r = 0; r < R; r++)
        finish(cols, acc[r], xScale[i + r], wScale + p0, bias ? bias + p0 : NULL, accumulate, y + (i + r) * ldy + p0);
}

#if defined(__x86_64__)
// AVX2: no unsigned-by-signed dot product of 4 bytes, so |x| · (w with x's sign) by pairs into 16
// bits (at most 2·127·127, no saturation), then pairs of those into 32 bits. A panel's 64 bytes
// of a column group are two registers: rows 0–7 and 8–15.
__attribute__((target("avx2"))) static inline __attribute__((always_inline)) void block_avx2(
    const int R, int kq, const int8_t *xq, long kp, const int8_t *panel, int32_t out[MR][GROUP]) {
    __m256i acc0[MR], acc1[MR];
    const __m256i ones = _mm256_set1_epi16(1);
    for (int r = 0; r < MR; r++) { acc0[r] = _mm256_setzero_si256(); acc1[r] = _mm256_setzero_si256(); }
    for (int q = 0; q < kq; q++) {
        const __m256i w0 = _mm256_loadu_si256((const __m256i *)(panel + (size_t)q * 256));
        const __m256i w1 = _mm256_loadu_si256((const __m256i *)(panel + (size_t)q * 256 + 32));
        for (int r = 0; r < MR; r++) {
            if (r < R) {
                int32_t four;
                memcpy(&four, xq + r * kp + 4 * q, 4);
                const __m256i x = _mm256_set1_epi32(four), ax = _mm256_abs_epi8(x);
                acc0[r] = _mm256_add_epi32(acc0[r], _mm256_madd_epi16(_mm256_maddubs_epi16(ax, _mm256_sign_epi8(w0, x)), ones));
                acc1[r] = _mm256_add_epi32(acc1[r], _mm256_madd_epi16(_mm256_maddubs_epi16(ax, _mm256_sign_epi8(w1, x)), ones));
            }
        }
    }
    for (int r = 0; r < R; r++) {
        _mm256_storeu_si256((__m256i *)out[r], acc0[r]);
        _mm256_storeu_si256((__m256i *)(out[r] + 8), acc1[r]);
    }
}

__attribute__((target("avx2"))) static void gemm_avx2(int m, int n, int k, const int8_t *xq, const float *xScale,
                                                    const int8_t *packed, const int32_t *rowSums, const float *wScale,
                                                    const float *bias, int accumulate, float *y, long ldy) {
    (void)rowSums;
    const int kp = lstmchat_q8_padded_k(k);
    int32_t acc[MR][GROUP];
    for (int p0 = 0; p0 < n; p0 += PANEL) {
        const int8_t *panel = panel_of(packed, p0, kp);
        for (int i = 0; i < m; i += MR) {
            const int R = m - i < MR ? m - i : MR;
            const int8_t *x = xq + (size_t)i * kp;
            switch (R) {  // each row count its own unrolled copy
            case 1: block_avx2(1, kp / 4, x, kp, panel, acc); break;
            case 2: block_avx2(2, kp / 4, x, kp, panel, acc); break;
            case 3: block_avx2(3, kp / 4, x, kp, panel, acc); break;
            default: block_avx2(4, kp / 4, x, kp, panel, acc); break;
            }
            finish_block(R, PANEL, acc, i, p0, n, xScale, wScale, bias, accumulate, y, ldy);
        }
    }
}

// AVX-512 VNNI: vpdpbusd multiplies unsigned by signed bytes and adds each 4 into 32 bits. x is
// made unsigned by adding 128 (flipping its top bit); 128·Σw of each row, computed when packing,
// comes off at the end. A block is a group of 64 rows of W (padded with zero rows) by R rows of x.
#define VNNI __attribute__((target("avx512f,avx512bw,avx512vnni")))
VNNI static inline __attribute__((always_inline)) void block_vnni(
    const int R, int kq, const int8_t *xq, long kp, const int8_t *group, const int32_t *rowSums, int32_t out[MR][GROUP]) {
    __m512i acc[MR][4];
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    for (int r = 0; r < MR; r++)
        for (int p = 0; p < 4; p++) acc[r][p] = _mm512_setzero_si512();
    for (int q = 0; q < kq; q++) {
        const int8_t *w = group + (size_t)q * 256;
        const __m512i w0 = _mm512_loadu_si512((const void *)w), w1 = _mm512_loadu_si512((const void *)(w + 64));
        const __m512i w2 = _mm512_loadu_si512((const void *)(w + 128)), w3 = _mm512_loadu_si512((const void *)(w + 192));
        for (int r = 0; r < MR; r++) {
            if (r < R) {
                int32_t four;
                memcpy(&four, xq + r * kp + 4 * q, 4);
                const __m512i x = _mm512_xor_si512(_mm512_set1_epi32(four), flip);
                acc[r][0] = _mm512_dpbusd_epi32(acc[r][0], x, w0);
                acc[r][1] = _mm512_dpbusd_epi32(acc[r][1], x, w1);
                acc[r][2] = _mm512_dpbusd_epi32(acc[r][2], x, w2);
                acc[r][3] = _mm512_dpbusd_epi32(acc[r][3], x, w3);
            }
        }
    }
    for (int r = 0; r < R; r++)
        for (int p = 0; p < 4; p++)
            _mm512_storeu_si512((void *)(out[r] + p * PANEL),
                                _mm512_sub_epi32(acc[r][p], _mm512_loadu_si512((const void *)(rowSums + p * PANEL))));
}

VNNI static void gemm_vnni(int m, int n, int k, const int8_t *xq, const float *xScale, const int8_t *packed,
                           const int32_t *rowSums, const float *wScale, const float *bias, int accumulate, float *y, long ldy) {
    const int kp = lstmchat_q8_padded_k(k), kq = kp / 4;
    int32_t acc[MR][GROUP];
    for (int p0 = 0; p0 < n; p0 += GROUP) {
        const int8_t *group = packed + (size_t)p0 * kp;
        for (int i = 0; i < m; i += MR) {
            const int R = m - i < MR ? m - i : MR;
            const int8_t *x = xq + (size_t)i * kp;
            switch (R) {  // each row count its own unrolled copy
            case 1: block_vnni(1, kq, x, kp, group, rowSums + p0, acc); break;
            case 2: block_vnni(2, kq, x, kp, group, rowSums + p0, acc); break;
            case 3: block_vnni(3, kq, x, kp, group, rowSums + p0, acc); break;
            default: block_vnni(4, kq, x, kp, group, rowSums + p0, acc); break;
            }
            finish_block(R, GROUP, acc, i, p0, n, xScale, wScale, bias, accumulate, y, ldy);
        }
    }
}
#endif

typedef void (*q8_gemm_fn)(int, int, int, const int8_t *, const float *, const int8_t *, const int32_t *,
                           const float *, const float *, int, float *, long);
static q8_gemm_fn chosen;
static const char *chosen_name;

static int can_run(int kernel) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (kernel == 2) return __builtin_cpu_supports("avx2");
    if (kernel == 3) return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                            __builtin_cpu_supports("avx512vnni");
#endif
    return kernel == 1;
}

int lstmchat_q8_force(int kernel) {
    if (kernel == 0) kernel = can_run(3) ? 3 : can_run(2) ? 2 : 1;
    if (!can_run(kernel)) return 0;
    switch (kernel) {
#if defined(__x86_64__)
    case 3: chosen = gemm_vnni; chosen_name = "AVX-512 VNNI"; break;
    case 2: chosen = gemm_avx2; chosen_name = "AVX2"; break;
#endif
    default: chosen = gemm_generic; chosen_name = "generic"; break;
    }
    return 1;
}

const char *lstmchat_q8_isa(void) {
    if (!chosen) lstmchat_q8_force(0);
    return chosen_name;
}

void lstmchat_q8_gemm(int m, int n0, int n1, int n, int k, const int8_t *xq, const float *xScale, const int8_t *packed,
                      const int32_t *rowSums, const float *wScale, const float *bias, int accumulate, float *y, long ldy) {
    if (!chosen) lstmchat_q8_force(0);
    chosen(m, (n1 < n ? n1 : n) - n0, k, xq, xScale, packed + (size_t)n0 * lstmchat_q8_padded_k(k), rowSums + n0, wScale + n0,
           bias ? bias + n0 : NULL, accumulate, y + n0, ldy);
}
