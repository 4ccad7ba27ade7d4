/// What a finished fit means for its model: a fit that made no progress at all fails with the reason; one that
/// stopped before its certificate (`max_iter`, or no further progress) is ready, with `converged: false` in its
/// summary and a warning that the status shows, since its coefficients are still the best it found and often
/// usable. Nothing unconverged is silently "Ready to Use".
public enum FitReview {
    public enum Verdict: Equatable, Sendable {
        case ready(warnings: [String])
        case failed(String)
    }

    public static func review(_ summary: TrainingSummary, parameters: TrainingParameters) -> Verdict {
        if summary.converged { return .ready(warnings: []) }
        let step = parameters.learningRate.map { "learning_rate=\($0)" }
        switch summary.stopReason {
        case .noProgress where summary.nIter <= 1:
            return .failed(
                "the fit made no progress from its starting point (no step decreased the objective)"
                    + (step.map { "; \($0) is too large a fixed step: try a smaller one, or none (the line search)" } ?? ""))
        case .noProgress:
            return .ready(warnings: [
                "the fit stopped making progress at iteration \(summary.nIter) before reaching tol=\(parameters.tol) (converged: false)"
                    + (step.map { "; with \($0), try a smaller step or none (the line search)" } ?? "")
            ])
        case .maxIter:
            return .ready(warnings: [
                "the fit stopped at max_iter=\(parameters.maxIter) before reaching tol=\(parameters.tol) (converged: false): raise max_iter, or loosen tol"
            ])
        case .gradientTolerance:
            return .ready(warnings: [])
        }
    }
}
