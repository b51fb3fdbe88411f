// lstmchat's elementwise kernels of a training step (the LSTM's gate nonlinearities forward and
// backward, softmax cross-entropy, Adam) and of decoding (one row's next-token distribution),
// written once with vectors of eight floats and built
// twice: for AVX2+FMA and for the plain x86-64 (or any) baseline, the first call choosing what
// the CPU runs. Swift code is built for the baseline only (SSE), hence C here.
#ifndef LSTMCHAT_ELEMENTWISE_H
#define LSTMCHAT_ELEMENTWISE_H
#include <stdint.h>

/// One LSTM step's gate nonlinearities for B rows. a [B, 4H] holds the pre-activations
/// (i, f, g, o) and gets the activations; c_t = f⊙c_{t−1} + i⊙g, tanh(c_t) into tanhCell,
/// h_t = o⊙tanh(c_t). Rows b with t ≥ lengths[b] (lengths may be NULL) carry h and c unchanged.
void lstmchat_lstm_gates_forward(int B, int H, float *a, const float *cPrev, float *cNext, float *tanhCell,
                                 const float *hPrev, float *hNext, const int32_t *lengths, int t);

/// The same step backward: dh [B, H] (plus dOutput [B, H] when not NULL, added into dh) and
/// dc [B, H] (replaced by d c_{t−1}) give dA [B, 4H], the pre-activations' gradient, from the
/// saved activations act [B, 4H], c_{t−1} and tanh(c_t). Rows past their length get dA = 0.
void lstmchat_lstm_gates_backward(int B, int H, const float *act, float *dA, const float *cPrev,
                                  const float *tanhCell, float *dh, const float *dOutput, float *dc,
                                  const int32_t *lengths, int t);

/// One row of softmax cross-entropy over V logits z: returns m·(logsumexp(z) − z[target]); when
/// d is not NULL writes d = m·(softmax(z) − onehot(target)) / counted. d may be z itself: the
/// gradient written over the logits.
double lstmchat_softmax_cross_entropy_row(int V, const float *z, int target, float m, float counted, float *d);

/// One row's next-token distribution over V logits z, the tokens allowed where mask is 0 (−∞:
/// forbidden): the allowed token with the largest logit (the lowest id among equals; 0 when none
/// is allowed) and that logit, and when logSum and entropy are not NULL, log Σ exp(z − largest)
/// (so log p(v) = z[v] − largest − logSum) and the entropy −Σ p log p (nats). largest, logSum and
/// entropy may be NULL.
void lstmchat_distribution(int V, const float *z, const float *mask, int32_t *argmax, float *largest, float *logSum,
                           float *entropy);

/// Adam over n parameters: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²,
/// p ← p − stepSize·m / (√v / bc2Root + ε).
void lstmchat_adam(long n, float *p, const float *g, float *m, float *v,
                   float beta1, float beta2, float stepSize, float bc2Root, float epsilon);

/// y = f(x) over n floats with the kernels' own exp (kind 0), sigmoid (1) or tanh (2): for tests.
void lstmchat_activation(int kind, long n, const float *x, float *y);

/// The instruction set the elementwise kernels run ("AVX2+FMA" or "generic"); forcing the
/// generic one (1) or the CPU's best (0) lets tests compare the two.
const char *lstmchat_elementwise_isa(void);
void lstmchat_elementwise_force_generic(int generic);
#endif
