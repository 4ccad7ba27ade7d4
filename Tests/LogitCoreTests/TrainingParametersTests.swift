import LogitCore
import Testing

@Suite struct TrainingParametersTests {
    @Test func defaults() throws {
        let parameters = try TrainingParameters.parse(query: [])
        #expect(parameters == TrainingParameters())
        #expect(parameters.C == 1 && parameters.penalty == .l2 && parameters.maxIter == 10_000 && parameters.tol == 1e-12)
        #expect(parameters.learningRate == nil && parameters.fitIntercept && parameters.validationFraction == 0)
        #expect(parameters.classWeight == .none)
    }

    @Test func everyParameterIsRead() throws {
        let parameters = try TrainingParameters.parse(query: [
            ("C", "0.5"), ("penalty", "NONE"), ("max_iter", " 200 "), ("tol", "1e-6"), ("learning_rate", "0.1"),
            ("fit_intercept", "false"), ("validation_fraction", "0.25"), ("seed", "18446744073709551615"),
            ("class_weight", "balanced"),
        ])
        #expect(parameters.C == 0.5 && parameters.penalty == .none && parameters.maxIter == 200 && parameters.tol == 1e-6)
        #expect(parameters.learningRate == 0.1 && !parameters.fitIntercept && parameters.validationFraction == 0.25)
        #expect(parameters.seed == .max && parameters.classWeight == .balanced)
    }

    @Test(arguments: [
        ("C", "0"), ("C", "-1"), ("C", "inf"), ("C", "nan"), ("C", "abc"), ("penalty", "l1"), ("max_iter", "0"),
        ("max_iter", "1.5"), ("max_iter", "2000000"), ("tol", "0"), ("tol", "-1e-3"), ("learning_rate", "0"),
        ("fit_intercept", "maybe"), ("validation_fraction", "1"), ("validation_fraction", "-0.1"), ("seed", "-1"),
        ("class_weight", "auto"),
    ])
    func badValuesAreRejectedNamingTheParameter(name: String, value: String) {
        #expect {
            _ = try TrainingParameters.parse(query: [(name, value)])
        } throws: { error in
            guard let error = error as? ParameterError else { return false }
            return error.name == name && !error.unknown && error.description.contains(name)
        }
    }

    @Test func unknownParametersAreRejected() {
        #expect(throws: ParameterError.self) { try TrainingParameters.parse(query: [("alpha", "1")]) }
    }
}
