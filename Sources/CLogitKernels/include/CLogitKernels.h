// The two passes over the feature matrix that dominate a fit, and the exponentials of the softmax, in C so that one portable binary can carry an
// AVX2+FMA version next to the baseline one and pick at run time (Swift has no per-function target attribute).
// Measured on 20,000 × 500 × 10, one core: forward 18.4 → 9.5 ms, backward 16.4 → 12.2 ms (docs/PERFORMANCE.md).
#ifndef CLOGIT_KERNELS_H
#define CLOGIT_KERNELS_H

/// Which compiled version of the kernels to run.
enum {
    /// Baseline instructions of the target (SSE2 on x86-64, NEON on arm64): runs on every CPU.
    LOGIT_KERNELS_BASELINE = 0,
    /// AVX2 with fused multiply-add (x86-64-v3). Only valid where `logit_kernels_avx2_supported()` is 1.
    LOGIT_KERNELS_AVX2 = 1,
};

/// 1 if this CPU and OS run AVX2 and FMA code (CPUID and XGETBV), else 0. Cheap; the result never changes.
int logit_kernels_avx2_supported(void);

/// Z[i·k + c] = b[c] + Σ_j x[i·d + j] · w[c·d + j] for the rows i in [start, end): the logits of those rows.
void logit_forward(int variant, const double *x, const double *w, const double *b, long d, long k, long start, long end,
                   double *z);

/// g[c·d + j] += Σ_i r[i·k + c] · x[i·d + j] and g[k·d + c] += Σ_i r[i·k + c] for the m rows starting at x:
/// the residuals' contribution to the gradient of W and of the intercepts.
void logit_backward(int variant, const double *x, long m, long d, long k, const double *r, double *g);

/// t[j] ← e^{t[j]} for arguments ≤ 0 (the shifted logits of a softmax or sigmoid), accurate to a few ulp; arguments
/// below −708 give e^−708; NaN stays NaN.
void logit_exp(int variant, double *t, long count);

#endif
