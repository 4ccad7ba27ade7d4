// See CLogitKernels.h. Each kernel body is written once with GCC/Clang vector types (4 doubles) and compiled twice:
// for the baseline target (each 4-wide operation becomes two SSE2 instructions) and, on x86-64, inside a function
// with `target("avx2,fma")` (one AVX2 instruction; `a += u * v` contracts to FMA there). The variants differ in
// rounding (FMA), so results are identical run to run on one machine, not across machines with different CPUs.
// The summation order is fixed by the code (never by the number of threads), which keeps fits deterministic.
#include "CLogitKernels.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#pragma STDC FP_CONTRACT ON

#if defined(__x86_64__)
#include <cpuid.h>
#define LOGIT_X86 1
#else
#define LOGIT_X86 0
#endif

typedef double v4 __attribute__((vector_size(32)));
/// The same vector, read and written at 8-byte alignment (rows of X are not 32-byte aligned).
typedef double v4u __attribute__((vector_size(32), aligned(8), may_alias));

#define LOAD(p) (*(const v4u *)(p))
#define HSUM(v) (((v)[0] + (v)[2]) + ((v)[1] + (v)[3]))

/// Register-blocked: 4 rows × 2 classes per sweep over the columns, eight 4-wide accumulators (a W load serves 4
/// rows, an X load 2 classes).
static inline __attribute__((always_inline)) void forward_body(const double *restrict x, const double *restrict w,
                                                              const double *restrict b, long d, long k, long start,
                                                              long end, double *restrict z) {
    long i = start;
    for (; i + 4 <= end; i += 4) {
        const double *x0 = x + i * d, *x1 = x0 + d, *x2 = x1 + d, *x3 = x2 + d;
        double *z0 = z + i * k, *z1 = z0 + k, *z2 = z1 + k, *z3 = z2 + k;
        long c = 0;
        for (; c + 2 <= k; c += 2) {
            const double *w0 = w + c * d, *w1 = w0 + d;
            v4 a00 = {0}, a01 = {0}, a10 = {0}, a11 = {0}, a20 = {0}, a21 = {0}, a30 = {0}, a31 = {0};
            long j = 0;
            for (; j + 4 <= d; j += 4) {
                v4 v0 = LOAD(w0 + j), v1 = LOAD(w1 + j);
                v4 u0 = LOAD(x0 + j), u1 = LOAD(x1 + j), u2 = LOAD(x2 + j), u3 = LOAD(x3 + j);
                a00 += u0 * v0; a01 += u0 * v1; a10 += u1 * v0; a11 += u1 * v1;
                a20 += u2 * v0; a21 += u2 * v1; a30 += u3 * v0; a31 += u3 * v1;
            }
            double s00 = HSUM(a00), s01 = HSUM(a01), s10 = HSUM(a10), s11 = HSUM(a11);
            double s20 = HSUM(a20), s21 = HSUM(a21), s30 = HSUM(a30), s31 = HSUM(a31);
            for (; j < d; j++) {
                s00 += x0[j] * w0[j]; s01 += x0[j] * w1[j]; s10 += x1[j] * w0[j]; s11 += x1[j] * w1[j];
                s20 += x2[j] * w0[j]; s21 += x2[j] * w1[j]; s30 += x3[j] * w0[j]; s31 += x3[j] * w1[j];
            }
            z0[c] = b[c] + s00; z0[c + 1] = b[c + 1] + s01;
            z1[c] = b[c] + s10; z1[c + 1] = b[c + 1] + s11;
            z2[c] = b[c] + s20; z2[c + 1] = b[c + 1] + s21;
            z3[c] = b[c] + s30; z3[c + 1] = b[c + 1] + s31;
        }
        if (c < k) {
            const double *w0 = w + c * d;
            v4 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
            long j = 0;
            for (; j + 4 <= d; j += 4) {
                v4 v0 = LOAD(w0 + j);
                a0 += LOAD(x0 + j) * v0; a1 += LOAD(x1 + j) * v0; a2 += LOAD(x2 + j) * v0; a3 += LOAD(x3 + j) * v0;
            }
            double s0 = HSUM(a0), s1 = HSUM(a1), s2 = HSUM(a2), s3 = HSUM(a3);
            for (; j < d; j++) {
                s0 += x0[j] * w0[j]; s1 += x1[j] * w0[j]; s2 += x2[j] * w0[j]; s3 += x3[j] * w0[j];
            }
            z0[c] = b[c] + s0; z1[c] = b[c] + s1; z2[c] = b[c] + s2; z3[c] = b[c] + s3;
        }
    }
    for (; i < end; i++) {
        const double *row = x + i * d;
        for (long c = 0; c < k; c++) {
            const double *w0 = w + c * d;
            v4 a = {0};
            long j = 0;
            for (; j + 4 <= d; j += 4) a += LOAD(row + j) * LOAD(w0 + j);
            double s = HSUM(a);
            for (; j < d; j++) s += row[j] * w0[j];
            z[i * k + c] = b[c] + s;
        }
    }
}

/// 4 rows per sweep over the columns of a class, so one load and store of G serves 4 rows (an element-wise loop the
/// compiler vectorizes). Tried and no faster here (docs/PERFORMANCE.md): 8 rows, column tiles that stay in L1,
/// 2 classes per sweep, and G tiles held in registers.
static inline __attribute__((always_inline)) void backward_body(const double *restrict x, long m, long d, long k,
                                                               const double *restrict r, double *restrict g) {
    long i = 0;
    for (; i + 4 <= m; i += 4) {
        const double *x0 = x + i * d, *x1 = x0 + d, *x2 = x1 + d, *x3 = x2 + d;
        const double *r0 = r + i * k, *r1 = r0 + k, *r2 = r1 + k, *r3 = r2 + k;
        for (long c = 0; c < k; c++) {
            double *restrict g0 = g + c * d;
            double p0 = r0[c], p1 = r1[c], p2 = r2[c], p3 = r3[c];
            for (long j = 0; j < d; j++) g0[j] += (p0 * x0[j] + p1 * x1[j]) + (p2 * x2[j] + p3 * x3[j]);
        }
    }
    for (; i < m; i++) {
        const double *row = x + i * d;
        for (long c = 0; c < k; c++) {
            double ri = r[i * k + c];
            double *restrict g0 = g + c * d;
            for (long j = 0; j < d; j++) g0[j] += ri * row[j];
        }
    }
    double *gb = g + k * d;
    for (long i = 0; i < m; i++)
        for (long c = 0; c < k; c++) gb[c] += r[i * k + c];
}


/// e^t by range reduction to 2^k · e^r: k = round(t / ln 2) by the 1.5·2⁵² shifter (no rounding instruction needed),
/// r = t − k ln 2 in two parts (Cody–Waite, |r| ≤ ln2/2), e^r by its Taylor polynomial of degree 12 (Estrin's scheme;
/// truncation error 0.347¹³/13! < 2e-16 relative), 2^k built in the exponent bits. Arguments below −708 are raised to
/// −708 (e^−708 ≈ 3e-308 instead of a subnormal or 0: these exponentials are added to 1 or more, or divided by such a
/// sum). Accurate to a few ulp; NaN propagates. Every step has a baseline SSE2 instruction, so the loop vectorizes
/// in both versions. Hand-written because glibc's scalar `exp` was 34 % of a fit of 100,000 × 20 × 3
/// (docs/PERFORMANCE.md).
static inline __attribute__((always_inline)) void exp_body(double *restrict t, long count) {
    const double shifter = 6755399441055744.0;  // 1.5 · 2^52
    uint64_t shifter_bits;
    memcpy(&shifter_bits, &shifter, 8);
    for (long j = 0; j < count; j++) {
        double x = t[j] < -708 ? -708 : t[j];
        double shifted = x * 1.4426950408889634 + shifter;  // log2(e)
        double k = shifted - shifter;
        double r = (x - k * 6.93147180369123816490e-01) - k * 1.90821492927058770002e-10;
        double r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
        double p0to3 = (1 + r) + r2 * (1.0 / 2 + r * (1.0 / 6));
        double p4to7 = (1.0 / 24 + r * (1.0 / 120)) + r2 * (1.0 / 720 + r * (1.0 / 5040));
        double p8to12 = ((1.0 / 40320 + r * (1.0 / 362880)) + r2 * (1.0 / 3628800 + r * (1.0 / 39916800)))
                        + r4 * (1.0 / 479001600);
        double p = (p0to3 + r4 * p4to7) + r8 * p8to12;
        uint64_t bits;
        memcpy(&bits, &shifted, 8);
        uint64_t scale_bits = ((bits - shifter_bits) + 1023) << 52;
        double scale;
        memcpy(&scale, &scale_bits, 8);
        t[j] = p * scale;
    }
}

/// One block of rows of `logit_loss_block` (see CLogitKernels.h). Written as the Swift code it replaced (one row at a
/// time, the same operations in the same order, no contraction into FMA outside `exp_body`), so that a fit is the same
/// bit for bit: its speed comes from leaving Swift's optionals, closures and bounds checks out of the per-row loop.
static inline __attribute__((always_inline)) void loss_block_body(long m, long k, const double *restrict z,
                                                                 const double *restrict dz, double step,
                                                                 const int32_t *restrict labels,
                                                                 const double *restrict weights, double *restrict t,
                                                                 double *restrict saved, int residuals,
                                                                 double *restrict probabilities, double *loss_sum,
                                                                 logit_log_sum *logs, double *slope_sum,
                                                                 double *curvature_sum) {
#pragma clang fp contract(off)
    // The logits of the block.
    if (dz) {
        for (long j = 0; j < m * k; j++) t[j] = z[j] + step * dz[j];
    } else {
        memcpy(t, z, (size_t)(m * k) * sizeof(double));
    }
    // Shifted so that every argument is <= 0, keeping what the loss needs in `saved`.
    if (k == 1) {
        for (long i = 0; i < m; i++) {
            saved[i] = t[i];
            t[i] = -fabs(t[i]);
        }
    } else {
        for (long i = 0; i < m; i++) {
            double *row = t + i * k;
            double top = row[0];
            for (long c = 1; c < k; c++) top = row[c] >= top ? row[c] : top;
            saved[i] = row[labels[i]] - top;
            for (long c = 0; c < k; c++) row[c] -= top;
        }
    }
    exp_body(t, m * k);
    double loss = *loss_sum, slope = slope_sum ? *slope_sum : 0, curvature = curvature_sum ? *curvature_sum : 0;
    double log_sum = logs->sum, product = logs->product;
    long count = logs->count;
    const long batch = logs->batch;
    for (long i = 0; i < m; i++) {
        const int32_t label = labels[i];
        const double s = weights ? weights[label] : 1;
        double *row = t + i * k;
        // The row's loss; `total` is its normalizer (1 + e for the sigmoid, Σ_c e_c for the softmax).
        double total;
        if (k == 1) {
            const double e = row[0], zi = saved[i];
            const double positive = 0 >= zi ? 0 : zi;
            if (weights) {
                loss += s * (positive + log1p(e) - (label == 1 ? zi : 0));
            } else {
                loss += positive - (label == 1 ? zi : 0);
            }
            total = 1 + e;
        } else {
            total = 0;
            for (long c = 0; c < k; c++) total += row[c];
            if (weights) {
                loss += s * (log(total) - saved[i]);
            } else {
                loss -= saved[i];
            }
        }
        if (!weights) {
            product *= total;
            if (++count == batch) {
                log_sum += log(product);
                product = 1;
                count = 0;
            }
        }
        if (slope_sum) {
            // The line search's slope and curvature along the direction's logits.
            const double *drow = dz + i * k;
            if (k == 1) {
                const double e = row[0], di = drow[0];
                const double inverse = 1 / total;
                const double sigma = saved[i] >= 0 ? inverse : e * inverse;
                slope += s * (sigma - (double)label) * di;
                curvature += s * (e * inverse * inverse) * di * di;
            } else {
                double first = 0, second = 0;
                for (long c = 0; c < k; c++) {
                    const double pd = row[c] * drow[c];
                    first += pd;
                    second += pd * drow[c];
                }
                const double inverse = 1 / total;
                first *= inverse;
                second *= inverse;
                slope += s * (first - drow[label]);
                const double spread = second - first * first;
                curvature += s * (0 >= spread ? 0 : spread);
            }
        } else if (residuals) {
            // Residuals s (p − e_y) in place of the exponentials, and the probabilities when asked.
            if (k == 1) {
                const double e = row[0];
                const double sigma = saved[i] >= 0 ? 1 / total : e / total;
                if (probabilities) probabilities[i] = sigma;
                row[0] = s * (sigma - (double)label);
            } else {
                if (probabilities) {
                    const double inverse = 1 / total;
                    for (long c = 0; c < k; c++) probabilities[i * k + c] = row[c] * inverse;
                }
                const double scale = s / total;
                for (long c = 0; c < k; c++) row[c] *= scale;
                row[label] -= s;
            }
        }
    }
    *loss_sum = loss;
    if (slope_sum) *slope_sum = slope;
    if (curvature_sum) *curvature_sum = curvature;
    logs->sum = log_sum;
    logs->product = product;
    logs->count = count;
}

static void forward_baseline(const double *x, const double *w, const double *b, long d, long k, long start, long end,
                             double *z) {
    forward_body(x, w, b, d, k, start, end, z);
}

static void backward_baseline(const double *x, long m, long d, long k, const double *r, double *g) {
    backward_body(x, m, d, k, r, g);
}

static void exp_baseline(double *t, long count) { exp_body(t, count); }

#define LOSS_BLOCK_PARAMETERS                                                                                          \
    long m, long k, const double *z, const double *dz, double step, const int32_t *labels, const double *weights,     \
        double *t, double *saved, int residuals, double *probabilities, double *loss, logit_log_sum *logs, double *slope, \
        double *curvature
/// The block body with `k` known to the compiler for the sigmoid and 3 to 4 classes (its loops over a row unrolled:
/// 1,000,000 × 20 × 3's loss without a pass over X 8.5 → 6.1 ms), else with k as given.
#define LOSS_BLOCK_SPECIALIZED(K)                                                                                      \
    loss_block_body(m, K, z, dz, step, labels, weights, t, saved, residuals, probabilities, loss, logs, slope, curvature)
#define LOSS_BLOCK_DISPATCH     \
    switch (k) {                \
    case 1:                     \
        LOSS_BLOCK_SPECIALIZED(1); \
        break;                  \
    case 3:                     \
        LOSS_BLOCK_SPECIALIZED(3); \
        break;                  \
    case 4:                     \
        LOSS_BLOCK_SPECIALIZED(4); \
        break;                  \
    default:                    \
        LOSS_BLOCK_SPECIALIZED(k); \
    }

static void loss_block_baseline(LOSS_BLOCK_PARAMETERS) { LOSS_BLOCK_DISPATCH }

#if LOGIT_X86
__attribute__((target("avx2,fma"))) static void exp_avx2(double *t, long count) { exp_body(t, count); }

__attribute__((target("avx2,fma"))) static void loss_block_avx2(LOSS_BLOCK_PARAMETERS) { LOSS_BLOCK_DISPATCH }

__attribute__((target("avx2,fma"))) static void forward_avx2(const double *x, const double *w, const double *b, long d,
                                                             long k, long start, long end, double *z) {
    forward_body(x, w, b, d, k, start, end, z);
}

__attribute__((target("avx2,fma"))) static void backward_avx2(const double *x, long m, long d, long k, const double *r,
                                                              double *g) {
    backward_body(x, m, d, k, r, g);
}
#endif

int logit_kernels_avx2_supported(void) {
#if LOGIT_X86
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    const unsigned fma = 1u << 12, osxsave = 1u << 27, avx = 1u << 28;
    if ((ecx & (fma | osxsave | avx)) != (fma | osxsave | avx)) return 0;
    unsigned low, high;
    __asm__("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    if ((low & 6) != 6) return 0;  // the OS saves XMM and YMM state
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    return (ebx >> 5) & 1;  // AVX2
#else
    return 0;
#endif
}

void logit_forward(int variant, const double *x, const double *w, const double *b, long d, long k, long start, long end,
                   double *z) {
#if LOGIT_X86
    if (variant == LOGIT_KERNELS_AVX2) {
        forward_avx2(x, w, b, d, k, start, end, z);
        return;
    }
#endif
    forward_baseline(x, w, b, d, k, start, end, z);
}

void logit_backward(int variant, const double *x, long m, long d, long k, const double *r, double *g) {
#if LOGIT_X86
    if (variant == LOGIT_KERNELS_AVX2) {
        backward_avx2(x, m, d, k, r, g);
        return;
    }
#endif
    backward_baseline(x, m, d, k, r, g);
}

void logit_exp(int variant, double *t, long count) {
#if LOGIT_X86
    if (variant == LOGIT_KERNELS_AVX2) {
        exp_avx2(t, count);
        return;
    }
#endif
    exp_baseline(t, count);
}

void logit_loss_block(int variant, LOSS_BLOCK_PARAMETERS) {
#if LOGIT_X86
    if (variant == LOGIT_KERNELS_AVX2) {
        loss_block_avx2(m, k, z, dz, step, labels, weights, t, saved, residuals, probabilities, loss, logs, slope, curvature);
        return;
    }
#endif
    loss_block_baseline(m, k, z, dz, step, labels, weights, t, saved, residuals, probabilities, loss, logs, slope, curvature);
}
