/// What a user may set on `POST /models`, with scikit-learn's meaning and this service's defaults.
public struct TrainingParameters: Codable, Sendable, Equatable {
    public enum Penalty: String, Codable, Sendable, CaseIterable { case l2, none }
    public enum ClassWeight: String, Codable, Sendable, CaseIterable { case none, balanced }
    /// The full-batch first-order method (see `Trainer`): nonlinear conjugate gradient with an exact line search
    /// along the direction, or FISTA with backtracking (the only one with a fixed `learningRate`).
    public enum Solver: String, Codable, Sendable, CaseIterable { case cg, fista }

    /// Inverse regularization strength (> 0).
    public var C: Double = 1.0
    public var penalty: Penalty = .l2
    /// Iterations of the solver at most (≥ 1).
    public var maxIter: Int = 10_000
    /// Relative accuracy of the objective: stop when `‖∇f‖² / (2λ) ≤ tol · f`, which bounds `(f − f*) / f*` by `tol`
    /// with the L2 penalty (see `Trainer`). Not given on `POST /models`, it depends on the data's size
    /// (`settlingDefaults`).
    public var tol: Double = 1e-12
    /// A fixed step size instead of the backtracking line search (nil: line search). A fixed step is FISTA's:
    /// `parse` sets `solver` to fista with it and rejects `solver=cg` with it.
    public var learningRate: Double? = nil
    /// `cg` (default) or `fista`; see `Trainer`.
    public var solver: Solver = .cg
    public var fitIntercept: Bool = true
    /// Fraction of rows held out (seeded shuffle) to report `validation_accuracy`; 0 for none.
    public var validationFraction: Double = 0
    public var seed: UInt64 = 0
    public var classWeight: ClassWeight = .none

    public init() {}

    enum CodingKeys: String, CodingKey {
        case C, penalty, tol, seed, solver
        case maxIter = "max_iter"
        case learningRate = "learning_rate"
        case fitIntercept = "fit_intercept"
        case validationFraction = "validation_fraction"
        case classWeight = "class_weight"
    }

    /// Decodes every field; `solver` may be absent (parameters stored before it existed were fitted by FISTA).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        C = try container.decode(Double.self, forKey: .C)
        penalty = try container.decode(Penalty.self, forKey: .penalty)
        maxIter = try container.decode(Int.self, forKey: .maxIter)
        tol = try container.decode(Double.self, forKey: .tol)
        learningRate = try container.decodeIfPresent(Double.self, forKey: .learningRate)
        solver = try container.decodeIfPresent(Solver.self, forKey: .solver) ?? .fista
        fitIntercept = try container.decode(Bool.self, forKey: .fitIntercept)
        validationFraction = try container.decode(Double.self, forKey: .validationFraction)
        seed = try container.decode(UInt64.self, forKey: .seed)
        classWeight = try container.decode(ClassWeight.self, forKey: .classWeight)
    }

    /// The default `tol` for a training set of `values` numbers (rows × features): 1e-12 up to 1,000,000 values,
    /// 1e-6 above.
    ///
    /// Both are certified bounds on the objective's distance to the optimum, within the 1e-6 the service promises.
    /// 1e-12 also brings the coefficients so close that probabilities agree with scikit-learn's optimum to 1e-6
    /// (`ReferenceOptimaTests`), and costs milliseconds on data this small. On large data each factor of 10 costs
    /// iterations of a second's scale: the 1,000,000 × 20 × 3 fit takes 38 iterations at 1e-12 and 27 at 1e-6
    /// (docs/PERFORMANCE.md), and its measured gap at 1e-6 is still below 1e-9.
    public static func defaultTolerance(values: Int) -> Double { values > 1_000_000 ? 1e-6 : 1e-12 }

    /// These parameters with the defaults that depend on the data settled for a training set of `rowCount` rows
    /// and `featureCount` features: `tol`, unless `query` gives it.
    public func settlingDefaults(query: [(name: String, value: String)], rowCount: Int, featureCount: Int) -> TrainingParameters {
        var settled = self
        if !query.contains(where: { $0.name == "tol" }) { settled.tol = Self.defaultTolerance(values: rowCount * featureCount) }
        return settled
    }

    /// The names `parse(query:)` accepts.
    public static let names = [
        "C", "penalty", "max_iter", "tol", "learning_rate", "solver", "fit_intercept", "validation_fraction", "seed", "class_weight",
    ]

    /// The query parameters of `POST /models` that name the model rather than shape the fit (`name`).
    public static let registryNames = ["name"]

    /// Reads parameters from query items; an unknown name or a bad value throws, naming the parameter.
    public static func parse(query: [(name: String, value: String)]) throws(ParameterError) -> TrainingParameters {
        var parameters = TrainingParameters()
        var solverGiven: String? = nil
        for (name, value) in query {
            let text = value.trimmingSpaces
            switch name {
            case "C":
                guard let c = Double(text), c.isFinite, c > 0 else { throw ParameterError(name, value, "a positive number, e.g. 1.0") }
                parameters.C = c
            case "penalty":
                guard let penalty = Penalty(rawValue: text.lowercased()) else { throw ParameterError(name, value, "l2 or none") }
                parameters.penalty = penalty
            case "max_iter":
                guard let maxIter = Int(text), maxIter >= 1, maxIter <= 1_000_000 else {
                    throw ParameterError(name, value, "a whole number from 1 to 1000000")
                }
                parameters.maxIter = maxIter
            case "tol":
                guard let tol = Double(text), tol.isFinite, tol > 0 else { throw ParameterError(name, value, "a positive number, e.g. 1e-12") }
                parameters.tol = tol
            case "learning_rate":
                guard let rate = Double(text), rate.isFinite, rate > 0 else { throw ParameterError(name, value, "a positive number, e.g. 0.5") }
                parameters.learningRate = rate
            case "solver":
                guard let solver = Solver(rawValue: text.lowercased()) else { throw ParameterError(name, value, "cg or fista") }
                parameters.solver = solver
                solverGiven = value
            case "fit_intercept":
                switch text.lowercased() {
                case "true", "1", "yes": parameters.fitIntercept = true
                case "false", "0", "no": parameters.fitIntercept = false
                default: throw ParameterError(name, value, "true or false")
                }
            case "validation_fraction":
                guard let fraction = Double(text), fraction >= 0, fraction < 1 else {
                    throw ParameterError(name, value, "a number from 0 up to (not including) 1")
                }
                parameters.validationFraction = fraction
            case "seed":
                guard let seed = UInt64(text) else { throw ParameterError(name, value, "a whole number from 0 to 18446744073709551615") }
                parameters.seed = seed
            case "class_weight":
                guard let weight = ClassWeight(rawValue: text.lowercased()) else { throw ParameterError(name, value, "none or balanced") }
                parameters.classWeight = weight
            case _ where CSVFormat.names.contains(name):
                continue  // the body's layout: `CSVFormat.parse`
            case _ where registryNames.contains(name):
                continue  // the model's registered name: the API's
            default:
                throw ParameterError(
                    name, value, "one of the known parameters: \((names + CSVFormat.names + registryNames).joined(separator: ", "))", unknown: true)
            }
        }
        if parameters.learningRate != nil {
            // A fixed step is FISTA's; CG's step is chosen by its line search.
            if let solverGiven, parameters.solver == .cg {
                throw ParameterError("solver", solverGiven, "fista (or no solver) when learning_rate is set: a fixed step is FISTA's")
            }
            parameters.solver = .fista
        }
        return parameters
    }
}

/// A query parameter that is unknown or has a bad value.
public struct ParameterError: Error, Sendable, Equatable, CustomStringConvertible {
    public var name: String
    public var value: String
    public var expected: String
    public var unknown: Bool

    init(_ name: String, _ value: String, _ expected: String, unknown: Bool = false) {
        self.name = name
        self.value = value
        self.expected = expected
        self.unknown = unknown
    }

    public var description: String {
        let shown = value.count > 40 ? String(value.prefix(40)) + "…" : value
        return unknown
            ? "unknown query parameter \"\(name)\": expected \(expected)"
            : "query parameter \(name)=\"\(shown)\" is not valid: expected \(expected)"
    }
}
