// The elementwise kernels of a training step (elementwise.h), eight floats at a time.
//
// Each kernel is written once as an always-inline body over `v8f` (clang's vector extension)
// and instantiated twice: inside a function built for AVX2+FMA (one ymm register per v8f, a·b+c
// fused) and inside a plain one (two SSE registers per v8f on x86-64). The math is that of
// Math/Activations.swift: Cephes' expf, sigmoid and tanh built on it, NaN kept.
#include "elementwise.h"
#include <math.h>
#include <string.h>

// The v8f helpers below are always inlined, so the ABI of passing 32-byte vectors never applies.
#pragma clang diagnostic ignored "-Wpsabi"

typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));

#define INLINE static inline __attribute__((always_inline))

INLINE v8f splat(float x) { return (v8f){x, x, x, x, x, x, x, x}; }

/// Eight floats at p, or the first n (< 8) with the others `fill`.
INLINE v8f load(const float *p, int n, float fill) {
    v8f v;
    if (n == 8) { memcpy(&v, p, sizeof v); return v; }
    float t[8];
    for (int k = 0; k < 8; k++) t[k] = k < n ? p[k] : fill;
    memcpy(&v, t, sizeof v);
    return v;
}

INLINE void store(float *p, v8f v, int n) {
    if (n == 8) { memcpy(p, &v, sizeof v); return; }
    float t[8];
    memcpy(t, &v, sizeof v);
    for (int k = 0; k < n; k++) p[k] = t[k];
}

/// mask ? a : b, lane by lane (mask lanes all ones or all zeros, as comparisons give).
INLINE v8f select(v8i mask, v8f a, v8f b) { return (v8f)((mask & (v8i)a) | (~mask & (v8i)b)); }

INLINE float lanes_sum(v8f v) { return ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7])); }
INLINE float lanes_max(v8f v) {
    float m = v[0];
    for (int k = 1; k < 8; k++) m = v[k] > m ? v[k] : m;
    return m;
}

/// e^x: x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-6 polynomial, 2ⁿ put into the exponent
/// bits; saturates at e^88.376 (2ⁿ stays a normal float). NaN compares false, so it stays NaN.
INLINE v8f exp8(v8f x) {
    x = select(x > splat(88.3762626647949f), splat(88.3762626647949f), x);
    x = select(x < splat(-87.3365447505531f), splat(-87.3365447505531f), x);
    const v8f shifter = splat(12582912.0f);  // 1.5·2²³: adding it rounds to an integer
    v8f t = x * 1.44269504088896341f + shifter;
    v8f n = t - shifter;
    v8f r = x - n * 0.693359375f + n * 2.12194440e-4f;  // ln 2 in two parts, so r is exact
    v8f p = splat(1.9875691500e-4f);
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    v8f y = p * r * r + r + 1.0f;
    v8i exponent = ((v8i)t - 0x4B400000 + 127) << 23;
    return y * (v8f)exponent;
}

INLINE v8f sigmoid8(v8f x) { return 1.0f / (1.0f + exp8(-x)); }

/// tanh: 1 − 2/(e²ˣ+1), and near 0 (where that cancels) its own odd polynomial.
INLINE v8f tanh8(v8f x) {
    v8f large = 1.0f - 2.0f / (exp8(x + x) + 1.0f);
    v8f z = x * x;
    v8f p = splat(-5.70498872745e-3f);
    p = p * z + 2.06390887954e-2f;
    p = p * z - 5.37397155531e-2f;
    p = p * z + 1.33314422036e-1f;
    p = p * z - 3.33332819422e-1f;
    v8f small = p * z * x + x;
    return select((x < 0.625f) & (x > -0.625f), small, large);
}

// ---- LSTM gates -------------------------------------------------------------------------------

INLINE void gates_forward_8(int H, float *a, const float *cPrev, float *cNext, float *tc, float *hNext, int j, int n) {
    v8f i = sigmoid8(load(a + j, n, 0)), f = sigmoid8(load(a + H + j, n, 0));
    v8f g = tanh8(load(a + 2 * H + j, n, 0)), o = sigmoid8(load(a + 3 * H + j, n, 0));
    store(a + j, i, n); store(a + H + j, f, n); store(a + 2 * H + j, g, n); store(a + 3 * H + j, o, n);
    v8f c = f * load(cPrev + j, n, 0) + i * g;
    v8f th = tanh8(c);
    store(cNext + j, c, n); store(tc + j, th, n); store(hNext + j, o * th, n);
}

INLINE void gates_forward_body(int B, int H, float *a, const float *cPrev, float *cNext, float *tanhCell,
                               const float *hPrev, float *hNext, const int32_t *lengths, int t) {
    for (int b = 0; b < B; b++) {
        long r = (long)b * H;
        if (lengths && t >= lengths[b]) {  // padding: carry the state unchanged
            memcpy(hNext + r, hPrev + r, sizeof(float) * H);
            memcpy(cNext + r, cPrev + r, sizeof(float) * H);
            continue;
        }
        float *ab = a + 4 * r;
        int j = 0;
        for (; j + 8 <= H; j += 8) gates_forward_8(H, ab, cPrev + r, cNext + r, tanhCell + r, hNext + r, j, 8);
        if (j < H) gates_forward_8(H, ab, cPrev + r, cNext + r, tanhCell + r, hNext + r, j, H - j);
    }
}

// dA may be act (LSTMLayer.backward writes the gradients over the activations): lanes j..j+n of
// all four gates are loaded before any of them is stored.
INLINE void gates_backward_8(int H, const float *act, float *dA, const float *cPrev, const float *tc,
                             const float *dh, float *dc, int j, int n) {
    v8f i = load(act + j, n, 0), f = load(act + H + j, n, 0);
    v8f g = load(act + 2 * H + j, n, 0), o = load(act + 3 * H + j, n, 0);
    v8f th = load(tc + j, n, 0), dhj = load(dh + j, n, 0);
    v8f dcj = load(dc + j, n, 0) + dhj * o * (1.0f - th * th);
    store(dA + j, dcj * g * i * (1.0f - i), n);                          // d a_i
    store(dA + H + j, dcj * load(cPrev + j, n, 0) * f * (1.0f - f), n);  // d a_f
    store(dA + 2 * H + j, dcj * i * (1.0f - g * g), n);                  // d a_g
    store(dA + 3 * H + j, dhj * th * o * (1.0f - o), n);                 // d a_o
    store(dc + j, dcj * f, n);                                           // d c_{t−1}
}

INLINE void gates_backward_body(int B, int H, const float *act, float *dA, const float *cPrev,
                                const float *tanhCell, float *dh, const float *dOutput, float *dc,
                                const int32_t *lengths, int t) {
    for (int b = 0; b < B; b++) {
        long r = (long)b * H;
        if (dOutput) {
            int j = 0;
            for (; j + 8 <= H; j += 8) store(dh + r + j, load(dh + r + j, 8, 0) + load(dOutput + r + j, 8, 0), 8);
            for (; j < H; j++) dh[r + j] += dOutput[r + j];
        }
        float *db = dA + 4 * r;
        if (lengths && t >= lengths[b]) {  // padding: the state passed through untouched
            memset(db, 0, sizeof(float) * 4 * H);
            continue;
        }
        const float *ab = act + 4 * r;
        int j = 0;
        for (; j + 8 <= H; j += 8) gates_backward_8(H, ab, db, cPrev + r, tanhCell + r, dh + r, dc + r, j, 8);
        if (j < H) gates_backward_8(H, ab, db, cPrev + r, tanhCell + r, dh + r, dc + r, j, H - j);
    }
}

// ---- softmax cross-entropy --------------------------------------------------------------------

INLINE double softmax_cross_entropy_body(int V, const float *z, int target, float m, float counted, float *d) {
    const float zTarget = z[target];  // read first: d may be z
    v8f lanes = splat(-INFINITY);
    int j = 0;
    for (; j + 8 <= V; j += 8) { v8f v = load(z + j, 8, 0); lanes = select(v > lanes, v, lanes); }
    if (j < V) { v8f v = load(z + j, V - j, -INFINITY); lanes = select(v > lanes, v, lanes); }
    const float maxZ = lanes_max(lanes);
    // exp(z − max), kept in d when the gradient is wanted, and its sum.
    v8f sums = splat(0);
    for (j = 0; j + 8 <= V; j += 8) {
        v8f e = exp8(load(z + j, 8, 0) - maxZ);
        if (d) store(d + j, e, 8);
        sums += e;
    }
    if (j < V) {
        const int k = V - j;
        v8i tail = {0, 1, 2, 3, 4, 5, 6, 7};
        v8f e = select(tail < k, exp8(load(z + j, k, 0) - maxZ), splat(0));
        if (d) store(d + j, e, k);
        sums += e;
    }
    const float sum = lanes_sum(sums);
    const double loss = (double)m * ((double)logf(sum) + (double)maxZ - (double)zTarget);
    if (!d) return loss;
    const float scale = m / (sum * counted);
    for (j = 0; j + 8 <= V; j += 8) store(d + j, load(d + j, 8, 0) * scale, 8);
    for (; j < V; j++) d[j] *= scale;
    d[target] -= m / counted;
    return loss;
}

// ---- one row's next-token distribution ------------------------------------------------------

// Over the allowed tokens of z + mask (mask 0 allowed, −∞ not): the first largest (argmax, ties
// to the lowest id as a scalar loop with > gives), the largest value, log Σ exp(z + mask − max)
// and −Σ p log p = logSum − Σ e·(z + mask − max) / Σ e (e = exp(z + mask − max), forbidden tokens
// left out, where e·(−∞) would be NaN, and those whose e underflows). logSum and entropy NULL: one pass, the argmax alone.
INLINE void distribution_body(int V, const float *z, const float *mask, int32_t *argmax, float *largest,
                              float *logSum, float *entropy) {
    v8f best = splat(-INFINITY);
    v8i bestAt = {0, 0, 0, 0, 0, 0, 0, 0}, at = {0, 1, 2, 3, 4, 5, 6, 7};
    int j = 0;
    for (; j < V; j += 8, at += 8) {
        const int n = V - j < 8 ? V - j : 8;
        v8f v = load(z + j, n, -INFINITY) + load(mask + j, n, 0);
        v8i better = v > best;
        best = select(better, v, best);
        bestAt = (better & at) | (~better & bestAt);
    }
    float m = -INFINITY;
    int32_t index = 0;
    for (int k = 0; k < 8; k++) {
        if (best[k] > m || (best[k] == m && m > -INFINITY && bestAt[k] < index)) { m = best[k]; index = bestAt[k]; }
    }
    *argmax = index;
    if (largest) *largest = m;
    if (!logSum && !entropy) return;
    v8f sums = splat(0), weighted = splat(0);
    for (j = 0; j < V; j += 8) {
        const int n = V - j < 8 ? V - j : 8;
        v8i lane = {0, 1, 2, 3, 4, 5, 6, 7};
        v8f mk = load(mask + j, n, -INFINITY);
        v8f x = load(z + j, n, 0) - m;
        // e^x underflows below −87.3 (exp8 would give 2⁻¹²⁶ there, and x·e could be far from 0).
        v8i allowed = (lane < n) & (mk == splat(0)) & (x > splat(-87.3f));
        v8f e = select(allowed, exp8(x), splat(0));
        sums += e;
        weighted += select(allowed, e * x, splat(0));
    }
    const float sum = lanes_sum(sums), ls = logf(sum);
    if (logSum) *logSum = ls;
    if (entropy) *entropy = ls - lanes_sum(weighted) / sum;
}

// ---- Adam -------------------------------------------------------------------------------------

INLINE void adam_8(float *p, const float *g, float *m, float *v, float b1, float b2, float stepSize,
                   float bc2Root, float eps, int n) {
    v8f gk = load(g, n, 0);
    v8f mk = b1 * load(m, n, 0) + (1.0f - b1) * gk;
    v8f vk = b2 * load(v, n, 0) + (1.0f - b2) * gk * gk;
    store(m, mk, n); store(v, vk, n);
    store(p, load(p, n, 0) - stepSize * mk / (__builtin_elementwise_sqrt(vk) / bc2Root + eps), n);
}

INLINE void adam_body(long n, float *p, const float *g, float *m, float *v, float b1, float b2,
                      float stepSize, float bc2Root, float eps) {
    long k = 0;
    for (; k + 8 <= n; k += 8) adam_8(p + k, g + k, m + k, v + k, b1, b2, stepSize, bc2Root, eps, 8);
    if (k < n) adam_8(p + k, g + k, m + k, v + k, b1, b2, stepSize, bc2Root, eps, (int)(n - k));
}

INLINE void activation_body(int kind, long n, const float *x, float *y) {
    for (long k = 0; k < n; k += 8) {
        int c = n - k < 8 ? (int)(n - k) : 8;
        v8f v = load(x + k, c, 0);
        store(y + k, kind == 0 ? exp8(v) : kind == 1 ? sigmoid8(v) : tanh8(v), c);
    }
}

// ---- one function per instruction set, chosen at the first call ------------------------------

#if defined(__x86_64__)
#define AVX2 __attribute__((target("avx2,fma")))
#else
#define AVX2
#endif

#define VARIANTS(ret, name, params, args)                                      \
    AVX2 static ret name##_avx2 params { return name##_body args; }             \
    static ret name##_generic params { return name##_body args; }

VARIANTS(void, gates_forward,
         (int B, int H, float *a, const float *cPrev, float *cNext, float *tanhCell, const float *hPrev,
          float *hNext, const int32_t *lengths, int t),
         (B, H, a, cPrev, cNext, tanhCell, hPrev, hNext, lengths, t))
VARIANTS(void, gates_backward,
         (int B, int H, const float *act, float *dA, const float *cPrev, const float *tanhCell, float *dh,
          const float *dOutput, float *dc, const int32_t *lengths, int t),
         (B, H, act, dA, cPrev, tanhCell, dh, dOutput, dc, lengths, t))
VARIANTS(double, softmax_cross_entropy,
         (int V, const float *z, int target, float m, float counted, float *d), (V, z, target, m, counted, d))
VARIANTS(void, adam,
         (long n, float *p, const float *g, float *m, float *v, float b1, float b2, float stepSize, float bc2Root,
          float eps),
         (n, p, g, m, v, b1, b2, stepSize, bc2Root, eps))
VARIANTS(void, distribution,
         (int V, const float *z, const float *mask, int32_t *argmax, float *largest, float *logSum, float *entropy),
         (V, z, mask, argmax, largest, logSum, entropy))
VARIANTS(void, activation, (int kind, long n, const float *x, float *y), (kind, n, x, y))

static int isa = -1;  // 1: AVX2+FMA, 0: generic

static int cpu_has_avx2_fma(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

static inline int use_avx2(void) {
    if (__builtin_expect(isa < 0, 0)) isa = cpu_has_avx2_fma();
    return isa;
}

void lstmchat_elementwise_force_generic(int generic) { isa = generic ? 0 : cpu_has_avx2_fma(); }
const char *lstmchat_elementwise_isa(void) { return use_avx2() ? "AVX2+FMA" : "generic"; }

#define DISPATCH(name, args) (use_avx2() ? name##_avx2 args : name##_generic args)

void lstmchat_lstm_gates_forward(int B, int H, float *a, const float *cPrev, float *cNext, float *tanhCell,
                                 const float *hPrev, float *hNext, const int32_t *lengths, int t) {
    DISPATCH(gates_forward, (B, H, a, cPrev, cNext, tanhCell, hPrev, hNext, lengths, t));
}

void lstmchat_lstm_gates_backward(int B, int H, const float *act, float *dA, const float *cPrev,
                                  const float *tanhCell, float *dh, const float *dOutput, float *dc,
                                  const int32_t *lengths, int t) {
    DISPATCH(gates_backward, (B, H, act, dA, cPrev, tanhCell, dh, dOutput, dc, lengths, t));
}

double lstmchat_softmax_cross_entropy_row(int V, const float *z, int target, float m, float counted, float *d) {
    return DISPATCH(softmax_cross_entropy, (V, z, target, m, counted, d));
}

void lstmchat_adam(long n, float *p, const float *g, float *m, float *v,
                   float beta1, float beta2, float stepSize, float bc2Root, float epsilon) {
    DISPATCH(adam, (n, p, g, m, v, beta1, beta2, stepSize, bc2Root, epsilon));
}

void lstmchat_distribution(int V, const float *z, const float *mask, int32_t *argmax, float *largest, float *logSum,
                           float *entropy) {
    DISPATCH(distribution, (V, z, mask, argmax, largest, logSum, entropy));
}

void lstmchat_activation(int kind, long n, const float *x, float *y) { DISPATCH(activation, (kind, n, x, y)); }
