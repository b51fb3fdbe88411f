// lstmchat's own small-batch kernels (Math/PackedMatrix.swift): a product against a weight matrix
// packed once, for the LSTM's recurrent step, with one function per instruction set chosen at
// the first call.
#ifndef LSTMCHAT_KERNELS_H
#define LSTMCHAT_KERNELS_H
#include <stddef.h>

/// Floats a packed k×n matrix takes (n rounded up to whole 16-column panels).
size_t lstmchat_packed_count(int k, int n);

/// Packs the k×n matrix B, element (kk, j) at b[kk·strideK + j·strideN], into 16-column panels,
/// each k rows of 16 contiguous floats (zero beyond column n).
void lstmchat_pack(const float *b, int k, int n, long strideK, long strideN, float *packed);

/// C[m, n0..<n1] += A[m×k] · B[k, n0..<n1] with B packed by lstmchat_pack (n columns in all);
/// n0 is a multiple of 16. Row-major A and C with row strides lda, ldc.
void lstmchat_gemm_packed(int m, int n0, int n1, int n, int k, const float *a, long lda,
                          const float *packed, float *c, long ldc);

/// The instruction set the kernel runs ("AVX2+FMA" or "generic").
const char *lstmchat_kernel_isa(void);
#endif
