/// The stopping test of both solvers: a bound on the objective gap, relative to the objective.
///
/// With the L2 penalty the objective is μ-strongly convex in W with μ ≥ λ = 1/(C·n) (the loss is convex, the penalty
/// adds λ‖W‖²/2), and for a μ-strongly convex f, `f(θ) − f* ≤ ‖∇f(θ)‖² / (2μ)`. So a fit stops at the first point θ
/// with
///
///     ‖∇f(θ)‖₂² / (2λ) ≤ tol · f(θ)
///
/// which guarantees `f(θ) ≤ (1 + tol) · f*`. The unpenalized intercept is curved only by the loss itself, far below λ
/// on nearly separable data, so the bound holds only where the intercepts are optimal for W; there it is exactly the
/// duality gap (`Trainer.optimizeIntercepts`; without that step the bound was ~10× optimistic on 20,000 × 500 × 10,
/// docs/PERFORMANCE.md). So a solver accepts a pass only on f and ∇f recomputed from X at settled intercepts: when the
/// test passes on tracked values, it recomputes them there and asks again. The point it returns is never worse than
/// the one it stood on.
///
/// With `penalty=none` (λ = 0) f is not strongly convex, there is no certificate, and on separable data there is no
/// optimum (the infimum 0 is approached as ‖W‖ → ∞). The test is then the gradient small relative to the objective,
/// `‖∇f / f‖₂² ≤ tol`, computed on ∇f / f so that it cannot pass by underflow: on separable data
/// `‖∇f‖ ≥ γ · f` (γ the margin) so it never passes, even when f and ∇f underflow to 0 (as CG's exact line search
/// drives them to within a few iterations). `‖∇f‖² ≤ tol · f²`, which FISTA used, claimed convergence there as soon
/// as both squares underflowed.
struct StoppingRule: Sendable {
    let lambda: Double
    let tolerance: Double
    /// Rows of the training set: `1/n` stands in for λ in the reported `gapBound` without the penalty (not a bound).
    let rowCount: Int

    enum Verdict: Equatable {
        case stop(TrainingSummary.StopReason)
        case proceed
        /// f or ∇f is not finite.
        case diverged
    }

    struct Evaluation: Equatable {
        var verdict: Verdict
        /// `‖∇f‖₂²`.
        var squaredNorm: Double
        /// `max_j |∂f/∂θ_j|`, reported as `gradient_max_abs`.
        var maxAbs: Double
        /// `‖∇f‖² / (2λ)`: the certified bound on `f − f*` with the L2 penalty (with 1/n for λ without it).
        var gapBound: Double
    }

    /// The verdict at a point of objective `objective` and gradient `gradient`.
    func evaluate(objective: Double, gradient: [Double]) -> Evaluation {
        var squaredNorm = 0.0, maxAbs = 0.0
        for g in gradient {
            squaredNorm += g * g
            maxAbs = max(maxAbs, abs(g))
        }
        let gapBound = squaredNorm / (2 * (lambda > 0 ? lambda : 1 / Double(rowCount)))
        var evaluation = Evaluation(verdict: .proceed, squaredNorm: squaredNorm, maxAbs: maxAbs, gapBound: gapBound)
        if !(objective.isFinite && squaredNorm.isFinite) {
            evaluation.verdict = .diverged
        } else if lambda > 0 ? gapBound <= tolerance * objective : isSmallRelativeToObjective(gradient, objective) {
            evaluation.verdict = .stop(.gradientTolerance)
        }
        return evaluation
    }

    /// `‖∇f / f‖₂² ≤ tol` with f > 0 (see the type's comment).
    private func isSmallRelativeToObjective(_ gradient: [Double], _ objective: Double) -> Bool {
        guard objective > 0 else { return false }
        var scaled = 0.0
        for g in gradient { scaled += (g / objective) * (g / objective) }
        return scaled <= tolerance
    }
}
