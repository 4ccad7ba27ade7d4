import Foundation
import LogitCore
import Testing

@Suite struct TrainingParametersTests {
    @Test func defaults() throws {
        let parameters = try TrainingParameters.parse(query: [])
        #expect(parameters == TrainingParameters())
        #expect(parameters.C == 1 && parameters.penalty == .l2 && parameters.maxIter == 10_000 && parameters.tol == 1e-12)
        #expect(parameters.learningRate == nil && parameters.fitIntercept && parameters.validationFraction == 0)
        #expect(parameters.classWeight == .none && parameters.solver == .cg)
    }

    /// Without `tol` in the query, small data gets 1e-12 and data of more than 1,000,000 values 1e-6; a given `tol` is
    /// kept whatever the size.
    @Test func theDefaultTolDependsOnTheDataSizeUnlessGiven() throws {
        let defaults = try TrainingParameters.parse(query: [])
        #expect(defaults.settlingDefaults(query: [], rowCount: 150, featureCount: 4).tol == 1e-12)
        #expect(defaults.settlingDefaults(query: [], rowCount: 50_000, featureCount: 20).tol == 1e-12)
        #expect(defaults.settlingDefaults(query: [], rowCount: 50_001, featureCount: 20).tol == 1e-6)
        #expect(defaults.settlingDefaults(query: [], rowCount: 1_000_000, featureCount: 20).tol == 1e-6)
        let query = [(name: "tol", value: "1e-9")]
        let given = try TrainingParameters.parse(query: query)
        #expect(given.settlingDefaults(query: query, rowCount: 1_000_000, featureCount: 20).tol == 1e-9)
        #expect(given.settlingDefaults(query: query, rowCount: 10, featureCount: 2).tol == 1e-9)
    }

    @Test func solverIsReadAndALearningRateMeansFISTA() throws {
        #expect(try TrainingParameters.parse(query: [("solver", " FISTA ")]).solver == .fista)
        #expect(try TrainingParameters.parse(query: [("solver", "cg")]).solver == .cg)
        #expect(try TrainingParameters.parse(query: [("learning_rate", "0.5")]).solver == .fista)
        #expect(try TrainingParameters.parse(query: [("learning_rate", "0.5"), ("solver", "fista")]).solver == .fista)
        #expect {
            _ = try TrainingParameters.parse(query: [("solver", "cg"), ("learning_rate", "0.5")])
        } throws: { error in
            guard let error = error as? ParameterError else { return false }
            return error.name == "solver" && error.description.contains("learning_rate")
        }
    }

    @Test func solverIsEncodedAndOldParametersDecodeAsFISTA() throws {
        var parameters = TrainingParameters()
        parameters.solver = .fista
        let json = try JSONEncoder().encode(parameters)
        #expect(String(decoding: json, as: UTF8.self).contains("\"solver\":\"fista\""))
        #expect(try JSONDecoder().decode(TrainingParameters.self, from: json) == parameters)
        #expect(try JSONDecoder().decode(TrainingParameters.self, from: JSONEncoder().encode(TrainingParameters())) == TrainingParameters())
        // Parameters stored before `solver` existed were fitted by FISTA.
        var object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(TrainingParameters())) as! [String: Any]
        object.removeValue(forKey: "solver")
        let old = try JSONDecoder().decode(TrainingParameters.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(old.solver == .fista && old.C == 1 && old.tol == 1e-12)
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
        ("class_weight", "auto"), ("solver", "lbfgs"), ("solver", ""),
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
