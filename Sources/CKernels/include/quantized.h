// lstmchat's int8 products (Math/Int8Matrix.swift): y = x · Wᵀ with W [n, k] held as int8 with
// one float32 scale per row (output), x quantized on the fly to int8 with one scale per row
// (dynamic quantization, as PyTorch's quantize_dynamic). The integer dot products are exact in
// int32 whatever the instruction set, and the float epilogue is one function for all: every
// kernel gives the same bits (tests check it), so an answer does not depend on the CPU.
#ifndef LSTMCHAT_QUANTIZED_H
#define LSTMCHAT_QUANTIZED_H
#include <stddef.h>
#include <stdint.h>

/// k rounded up to whole groups of 4 (the width of one int8 dot-product step).
int lstmchat_q8_padded_k(int k);

/// Bytes a packed n×k int8 matrix takes (n rounded up to 64 rows, k to 4 columns).
size_t lstmchat_q8_packed_bytes(int n, int k);

/// Packs the row-major int8 matrix w [n, k] (values in −127…127) into groups of 64 rows, each one
/// contiguous stream: for each group of 4 columns, 4 panels of 16 rows × 4 values (64 bytes each,
/// row j of a panel at 4·j). rowSums[j] (n rounded up to 64 entries) gets 128·Σ_k w[j, k], what
/// the VNNI kernel takes off.
void lstmchat_q8_pack(const int8_t *w, int n, int k, int8_t *packed, int32_t *rowSums);

/// Quantizes m rows of x (k floats each, row stride ldx) to xq [m, padded k] (zero beyond k):
/// xq = round(x / scale), scale[r] = max |x_r| / 127 (1 for a row of zeros).
void lstmchat_q8_quantize_rows(int m, int k, const float *x, long ldx, int8_t *xq, float *scale);

/// For rows r < m and outputs j in n0..<n1 (n0 a multiple of 64; wScale and rowSums hold n rounded
/// up to 64 entries):
///     y[r, j] = base + (Σ_k xq[r, k]·w[j, k]) · (xScale[r] · wScale[j])
/// where base is y[r, j] itself when accumulate, else bias[j] (0 when bias is NULL).
void lstmchat_q8_gemm(int m, int n0, int n1, int n, int k, const int8_t *xq, const float *xScale,
                      const int8_t *packed, const int32_t *rowSums, const float *wScale, const float *bias,
                      int accumulate, float *y, long ldy);

/// The instruction set the int8 kernel runs ("AVX-512 VNNI", "AVX2" or "generic").
const char *lstmchat_q8_isa(void);
/// Tests: run a given kernel (0: the CPU's best, 1: generic, 2: AVX2, 3: AVX-512 VNNI). Returns 0
/// when the CPU cannot run it (nothing changes).
int lstmchat_q8_force(int kernel);
#endif
