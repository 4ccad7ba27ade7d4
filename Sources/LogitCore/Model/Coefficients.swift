/// Coefficients on the original feature scale, as scikit-learn's `coef_` (classes × features; one row for a binary
/// model) and `intercept_`.
public struct Coefficients: Codable, Sendable, Equatable {
    public var coef: [[Double]]
    public var intercept: [Double]

    public init(coef: [[Double]], intercept: [Double]) {
        self.coef = coef
        self.intercept = intercept
    }

    public init(_ model: LogisticModel) {
        (coef, intercept) = model.originalScale
    }
}
