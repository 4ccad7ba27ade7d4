import CLogitKernels

/// Which compiled version of the C kernels (`CLogitKernels`: the two passes over the feature matrix and the softmax
/// exponentials) a fit runs.
///
/// One binary carries both: `baseline` runs on any CPU of the target (SSE2 on x86-64), `avx2` needs AVX2 and FMA
/// (x86-64-v3: Intel since 2013, AMD since 2015) and is chosen automatically where the CPU has them. On 20,000 ×
/// 500 × 10 it makes the forward pass ~1.9× and the backward pass ~1.3× faster (docs/PERFORMANCE.md). The two
/// round differently (fused multiply-add), so a fit is the same bit for bit on one machine, and agrees to rounding
/// (far inside the 1e-6 objective promise) across machines.
public enum KernelSet: String, Sendable, CaseIterable {
    case baseline
    case avx2

    /// The fastest set this CPU runs.
    public static let best: KernelSet = logit_kernels_avx2_supported() != 0 ? .avx2 : .baseline

    /// The sets this CPU runs.
    public static var available: [KernelSet] { best == .avx2 ? [.baseline, .avx2] : [.baseline] }

    /// The selector the C functions take.
    public var code: Int32 {
        switch self {
        case .baseline: Int32(LOGIT_KERNELS_BASELINE)
        case .avx2: Int32(LOGIT_KERNELS_AVX2)
        }
    }
}
