import Testing

@testable import LogitCore

/// The stopping rule on its own: a gradient and an objective in, stop or proceed out.
@Suite struct StoppingRuleTests {
    let penalized = StoppingRule(lambda: 0.01, tolerance: 1e-6, rowCount: 100)
    let unpenalized = StoppingRule(lambda: 0, tolerance: 1e-6, rowCount: 100)

    @Test func withThePenaltyItStopsWhenTheGapBoundIsWithinTolOfTheObjective() {
        // ‖g‖² / (2λ) = 2e-8 / 0.02 = 1e-6 ≤ 1e-6 · 1.
        let atTheBound = penalized.evaluate(objective: 1, gradient: [1e-4, 1e-4])
        #expect(atTheBound.verdict == .stop(.gradientTolerance))
        #expect(abs(atTheBound.gapBound - 1e-6) < 1e-20)
        #expect(atTheBound.maxAbs == 1e-4)
        #expect(penalized.evaluate(objective: 1, gradient: [1.1e-4, 1e-4]).verdict == .proceed)
        // The same gradient is small enough for a larger objective: the bound is relative.
        #expect(penalized.evaluate(objective: 2, gradient: [1.1e-4, 1e-4]).verdict == .stop(.gradientTolerance))
    }

    @Test func withoutThePenaltyItStopsWhenTheGradientIsSmallRelativeToTheObjective() {
        // ‖g / f‖² = 2 · (1e-4 / 0.2)² = 5e-7 ≤ 1e-6.
        #expect(unpenalized.evaluate(objective: 0.2, gradient: [1e-4, -1e-4]).verdict == .stop(.gradientTolerance))
        #expect(unpenalized.evaluate(objective: 0.1, gradient: [1e-4, -1e-4]).verdict == .proceed)
        // The reported bound uses 1/n for λ (it is not a certificate without the penalty).
        #expect(abs(unpenalized.evaluate(objective: 0.2, gradient: [1e-4, -1e-4]).gapBound - 1e-6) < 1e-20)
    }

    /// On separable data without penalty f and ∇f both underflow toward 0 with ‖∇f‖ ≥ γ f: the test must not pass
    /// because their squares did.
    @Test func withoutThePenaltyUnderflowNeverCountsAsConvergence() {
        #expect(unpenalized.evaluate(objective: 0, gradient: [0, 0]).verdict == .proceed)
        #expect(unpenalized.evaluate(objective: 1e-200, gradient: [1e-201, 0]).verdict == .proceed)
        #expect(unpenalized.evaluate(objective: 1e-200, gradient: [1e-205, 0]).verdict == .stop(.gradientTolerance))
    }

    @Test func aNonFiniteObjectiveOrGradientIsDivergence() {
        for rule in [penalized, unpenalized] {
            #expect(rule.evaluate(objective: .nan, gradient: [0]).verdict == .diverged)
            #expect(rule.evaluate(objective: .infinity, gradient: [0]).verdict == .diverged)
            #expect(rule.evaluate(objective: 1, gradient: [.infinity]).verdict == .diverged)
            #expect(rule.evaluate(objective: 1, gradient: [1e200, 1e200]).verdict == .diverged)
        }
    }
}
