// The two passes over the feature matrix that dominate a fit, and the exponentials of the softmax, in C so that one portable binary can carry an
// AVX2+FMA version next to the baseline one and pick at run time (Swift has no per-function target attribute).
// Measured on 20,000 × 500 × 10, one core: forward 18.4 → 9.5 ms, backward 16.4 → 12.2 ms (docs/PERFORMANCE.md).
#ifndef CLOGIT_KERNELS_H
#define CLOGIT_KERNELS_H

#include <stdint.h>

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

/// Σ log(t_i) as the log of products of `batch` factors (see `BatchedLogSum` in Swift): `sum` holds the logs of the
/// closed batches, `product` and `count` the open one. Start with {0, 1, 0, batch}; the total is sum + log(product).
typedef struct {
    double sum;
    double product;
    long count;
    long batch;
} logit_log_sum;

/// The per-row work of the objective for `m` rows (a block of `Objective.block` rows at most), whose logits are
/// z + step·dz (`m × k` values, row-major; k = 1 for the sigmoid's one logit per row, else the softmax's k; dz may
/// be NULL, then they are z). `labels` are the rows' classes, `weights` the per-class sample weights (NULL: every
/// weight 1); `t` (m·k values) and `saved` (m) are scratch.
///
/// Adds Σ_i s_i ℓ_i to `*loss`, whose log terms go to `logs` when every weight is 1. Then, with `slope` and
/// `curvature` given (the line search, dz required), adds Σ s_i (p_i − e_y)·D_i and Σ s_i D_iᵀ(diag p_i − p_i p_iᵀ)D_i
/// to them; else with `residuals` nonzero leaves s_i (p_i − e_{y_i}) in `t` (for `logit_backward`) and, with
/// `probabilities` given, stores p_i there (m·k values).
void logit_loss_block(int variant, long m, long k, const double *z, const double *dz, double step, const int32_t *labels,
                      const double *weights, double *t, double *saved, int residuals, double *probabilities, double *loss,
                      logit_log_sum *logs, double *slope, double *curvature);

#endif
