import Foundation
import LogitTestSupport
import Testing

@testable import LogitCore

@Suite struct TrainerTests {
    func fit(_ name: String, _ parameters: TrainingParameters = TrainingParameters()) throws -> (LogisticModel, TrainingSummary, TrainingSet) {
        let set = try TrainingSet.parse(Fixtures.bytes(name))
        let (model, summary) = try Trainer.fit(set, parameters: parameters)
        return (model, summary, set)
    }

    @Test(arguments: ["iris.csv", "wine.csv"])
    func reachesScikitLearnOptimumWithDefaults(dataset: String) throws {
        let (_, summary, _) = try fit(dataset)
        let reference = Fixtures.referenceOptimum(dataset)
        let relative = (summary.objective - reference.objective) / reference.objective
        #expect(relative < 1e-6, "objective \(summary.objective) vs scikit-learn \(reference.objective)")
        #expect(relative > -1e-6, "objective below scikit-learn's optimum: the objective is computed differently")
        #expect(summary.converged)
        #expect(summary.stopReason == .gradientTolerance)
        #expect(abs(summary.trainAccuracy - reference.accuracy) < 1e-12)
    }

    @Test func probabilitiesSumToOneAndPickTheRightClass() throws {
        let (model, _, _) = try fit("iris.csv")
        let rows = try FeatureRows.parse(Array("6.9,3.1,5.1,2.3\n5.1,3.5,1.4,0.2\n".utf8), featureCount: 4)
        let probabilities = model.probabilities(rows.values)
        #expect(probabilities.count == 6)
        for row in 0..<2 { #expect(abs(probabilities[row * 3..<row * 3 + 3].reduce(0, +) - 1) < 1e-12) }
        #expect(model.predictedClasses(probabilities: probabilities).map { model.classes[$0] } == ["virginica", "setosa"])
    }

    @Test func binaryProblemUsesOneSigmoidRow() throws {
        let csv = (0..<200).map { i in
            let x = Double(i % 20) / 4, label = (x + Double(i % 7) / 3) > 3 ? "yes" : "no"
            return "\(x),\(Double(i % 7)),\(label)"
        }.joined(separator: "\n")
        let set = try TrainingSet.parse(Array(csv.utf8))
        let (model, summary) = try Trainer.fit(set)
        #expect(model.classes == ["no", "yes"])
        #expect(model.rowCount == 1)
        #expect(model.originalScale.coef.count == 1)
        #expect(summary.converged)
        let probabilities = model.probabilities([5, 6, 0, 0])
        #expect(probabilities[1] > 0.9 && probabilities[2] > 0.9)
        #expect(abs(probabilities[0] + probabilities[1] - 1) < 1e-15)
    }

    @Test func originalScaleCoefficientsGiveTheSameLogits() throws {
        let (model, _, set) = try fit("wine.csv")
        let (coef, intercept) = model.originalScale
        let probabilities = model.probabilities(Array(set.features[0..<13]))
        var logits = (0..<3).map { k in intercept[k] + (0..<13).reduce(0.0) { $0 + coef[k][$1] * set.features[$1] } }
        let top = logits.max()!
        logits = logits.map { exp($0 - top) }
        let total = logits.reduce(0, +)
        for k in 0..<3 { #expect(abs(logits[k] / total - probabilities[k]) < 1e-9) }
    }

    @Test func theSameDataGivesTheSameModelBitForBit() throws {
        let (first, _, _) = try fit("wine.csv")
        let (second, _, _) = try fit("wine.csv")
        #expect(first == second)
    }

    @Test func stopsAtMaxIterWithoutConverging() throws {
        var parameters = TrainingParameters()
        parameters.maxIter = 3
        let (_, summary, _) = try fit("iris.csv", parameters)
        #expect(summary.nIter == 3)
        #expect(!summary.converged)
        #expect(summary.stopReason == .maxIter)
    }

    @Test func aTooLargeFixedLearningRateFailsAsDiverged() throws {
        var parameters = TrainingParameters()
        parameters.learningRate = 1e300
        parameters.penalty = .none
        #expect(throws: TrainingError.diverged(iteration: 1)) { try fit("iris.csv", parameters) }
    }

    /// A synthetic set large enough to be split into several chunks of the parallel gradient pass.
    static func synthetic(rows: Int, features: Int, classes: Int) -> TrainingSet {
        var generator = LinearCongruential(seed: 42)
        var values = [Double](), labels = [Int32]()
        for i in 0..<rows {
            let label = i % classes
            labels.append(Int32(label))
            for j in 0..<features { values.append(generator.uniform() * 4 + (j % classes == label ? 1.5 : 0) + Double(j)) }
        }
        return TrainingSet(features: values, labels: labels, classes: (0..<classes).map(String.init), featureCount: features)
    }

    @Test func theSameDataGivesTheSameModelBitForBitAcrossChunks() throws {
        let set = Self.synthetic(rows: 20_000, features: 7, classes: 3)
        let (first, firstSummary) = try Trainer.fit(set)
        let (second, secondSummary) = try Trainer.fit(set)
        #expect(first == second)
        #expect(firstSummary.objectiveHistory == secondSummary.objectiveHistory)
        #expect(firstSummary.converged)
    }

    /// A large CG fit starts where a short fit on a tenth of its rows ended: it reaches the same certified optimum
    /// (to the tolerance) in fewer iterations than from 0, and `Trainer.fit` takes that road from `warmStartRows`.
    @Test func aLargeFitStartsFromASubsampleFitAndReachesTheSameOptimumSooner() throws {
        let rows = Trainer.warmStartRows + 20_000
        var set = Self.synthetic(rows: rows, features: 4, classes: 3)
        Standardizer(fitting: set.features, rows: rows, columns: 4).transform(&set.features)
        var parameters = TrainingParameters()
        parameters.tol = 1e-8
        let lambda = 1 / Double(rows)
        let (cold, warm) = try set.features.withUnsafeBufferPointer { x in
            try set.labels.withUnsafeBufferPointer { y in
                let f = Objective(features: x, labels: y, sampleWeights: nil, featureCount: 4, classCount: 3, lambda: lambda, fitIntercept: true)
                let start = try Trainer.warmStart(
                    x, y, featureCount: 4, classCount: 3, sampleWeights: nil, lambda: lambda, parameters: parameters, kernels: .best)
                return (
                    try Trainer.minimizeCG(f, parameters: parameters) { _ in true }.summary,
                    try Trainer.minimizeCG(f, parameters: parameters, from: start) { _ in true }.summary
                )
            }
        }
        #expect(cold.converged && warm.converged)
        #expect(abs(warm.objective - cold.objective) <= parameters.tol * cold.objective)
        #expect(warm.nIter < cold.nIter, "warm \(warm.nIter) iterations, cold \(cold.nIter)")
        // Trainer.fit starts warm: the history's first objective is the warm start's, below log(3) at θ = 0.
        let (_, fitted) = try Trainer.fit(Self.synthetic(rows: rows, features: 4, classes: 3), parameters: parameters)
        #expect(fitted.objectiveHistory[0] < log(3.0) - 0.1 && fitted.nIter == warm.nIter)
    }

    @Test(arguments: TrainingParameters.Solver.allCases)
    func eachSolverGivesTheSameModelBitForBitAcrossChunks(solver: TrainingParameters.Solver) throws {
        let set = Self.synthetic(rows: 20_000, features: 7, classes: 3)
        var parameters = TrainingParameters()
        parameters.solver = solver
        let (first, firstSummary) = try Trainer.fit(set, parameters: parameters)
        let (second, secondSummary) = try Trainer.fit(set, parameters: parameters)
        #expect(first == second)
        #expect(firstSummary.objectiveHistory == secondSummary.objectiveHistory)
        #expect(firstSummary.converged)
    }

    /// CG takes far fewer iterations than FISTA to the same certified optimum (measured in docs/PERFORMANCE.md).
    @Test func conjugateGradientNeedsFewerIterationsThanFISTA() throws {
        let set = Self.synthetic(rows: 20_000, features: 7, classes: 3)
        var parameters = TrainingParameters()
        parameters.solver = .fista
        let (_, fista) = try Trainer.fit(set, parameters: parameters)
        parameters.solver = .cg
        let (_, cg) = try Trainer.fit(set, parameters: parameters)
        #expect(cg.converged && fista.converged)
        #expect(cg.nIter < fista.nIter, "cg \(cg.nIter) iterations, fista \(fista.nIter)")
        #expect(abs(cg.objective - fista.objective) <= 1e-10 * fista.objective)
    }

    @Test(arguments: TrainingParameters.Solver.allCases)
    func separableDataWithoutPenaltyEndsWithFiniteCoefficientsUnconverged(solver: TrainingParameters.Solver) throws {
        var parameters = TrainingParameters()
        parameters.penalty = .none
        parameters.maxIter = 2_000
        parameters.solver = solver
        let (model, summary, _) = try fit("numerics/separable.csv", parameters)
        #expect(summary.stopReason == .maxIter || summary.stopReason == .noProgress)
        #expect(!summary.converged)
        #expect(model.weights.allSatisfy(\.isFinite) && model.intercepts.allSatisfy(\.isFinite))
        #expect(summary.objective.isFinite && summary.objective < 1e-3)
    }

    @Test(arguments: TrainingParameters.Solver.allCases)
    func eachSolverCanBeCancelled(solver: TrainingParameters.Solver) throws {
        let set = try TrainingSet.parse(Fixtures.bytes("wine.csv"))
        var parameters = TrainingParameters()
        parameters.solver = solver
        var calls = 0
        #expect(throws: TrainingError.cancelled) {
            _ = try Trainer.fit(set, parameters: parameters) { _ in
                calls += 1
                return calls < 3
            }
        }
        #expect(calls == 3)
    }

    @Test func separableDataWithoutPenaltyStopsAtMaxIterWithFiniteCoefficients() throws {
        var parameters = TrainingParameters()
        parameters.penalty = .none
        parameters.maxIter = 2_000
        let (model, summary, _) = try fit("numerics/separable.csv", parameters)
        #expect(summary.stopReason == .maxIter || summary.stopReason == .noProgress)
        #expect(!summary.converged)
        #expect(summary.nIter <= 2_000)
        #expect(model.weights.allSatisfy(\.isFinite) && model.intercepts.allSatisfy(\.isFinite))
        #expect(summary.objective.isFinite && summary.objective < 1e-3)
        #expect(summary.trainAccuracy == 1)
    }

    @Test func constantColumnsKeepZeroWeights() throws {
        let (model, summary, _) = try fit("numerics/constant_columns.csv")
        #expect(summary.converged)
        let d = model.featureCount
        for row in 0..<model.rowCount {
            // A centred constant column is rounding noise (~1e-16), so its weight is ~1e-20, as in scikit-learn.
            for column in stride(from: 0, to: d, by: 8) { #expect(abs(model.weights[row * d + column]) < 1e-12) }
            #expect(model.weights[row * d + 5] == 0)
        }
        #expect(model.standardizer.scale[5] == 1 && model.standardizer.scale[8] == 1)
    }

    @Test func withoutInterceptTheInterceptsStayZero() throws {
        var parameters = TrainingParameters()
        parameters.fitIntercept = false
        let (model, summary, _) = try fit("iris.csv", parameters)
        #expect(model.intercepts == [0, 0, 0])
        #expect(summary.converged)
    }

    @Test func aSmallerCGivesSmallerWeights() throws {
        var parameters = TrainingParameters()
        parameters.C = 0.01
        let (strong, _, _) = try fit("wine.csv", parameters)
        let (weak, _, _) = try fit("wine.csv")
        func norm(_ model: LogisticModel) -> Double { model.weights.reduce(0) { $0 + $1 * $1 } }
        #expect(norm(strong) < norm(weak))
    }

    @Test func aFixedLearningRateConverges() throws {
        var parameters = TrainingParameters()
        parameters.learningRate = 0.5
        let (_, summary, _) = try fit("iris.csv", parameters)
        let reference = Fixtures.referenceOptimum("iris.csv")
        #expect(summary.converged)
        #expect(abs(summary.objective - reference.objective) / reference.objective < 1e-6)
    }

    @Test func aLooserTolStopsSooner() throws {
        var parameters = TrainingParameters()
        parameters.tol = 1e-3
        let (_, loose, _) = try fit("wine.csv", parameters)
        let (_, tight, _) = try fit("wine.csv")
        #expect(loose.converged && loose.nIter < tight.nIter)
        #expect(try #require(loose.objectiveGapBound) <= 1e-3 * loose.objective)
    }

    @Test func balancedClassWeightChangesTheFitOnUnbalancedData() throws {
        var parameters = TrainingParameters()
        parameters.classWeight = .balanced
        let (balanced, _, _) = try fit("numerics/unbalanced.csv", parameters)
        let (plain, _, _) = try fit("numerics/unbalanced.csv")
        #expect(balanced.intercepts[2] > plain.intercepts[2])
    }

    @Test func progressIsReportedEveryIteration() throws {
        var iterations: [Int] = []
        let set = try TrainingSet.parse(Fixtures.bytes("iris.csv"))
        let (_, summary) = try Trainer.fit(
            set,
            progress: {
                iterations.append($0.iteration); return true
            })
        #expect(iterations == Array(1...iterations.count))
        #expect(iterations.count >= summary.nIter - 1)
    }

    @Test func oneFeatureAndOneThousandFeaturesWork() throws {
        let (narrow, narrowSummary, _) = try fit("numerics/one_feature.csv")
        #expect(narrow.featureCount == 1 && narrowSummary.converged)
        let (wide, wideSummary, _) = try fit("numerics/wide.csv")
        #expect(wide.featureCount == 1000 && wideSummary.converged)
    }

    @Test func cancellationStopsTheFit() throws {
        let set = try TrainingSet.parse(Fixtures.bytes("iris.csv"))
        #expect(throws: TrainingError.cancelled) { try Trainer.fit(set, progress: { $0.iteration < 2 }) }
    }

    @Test func holdoutReportsValidationAccuracy() throws {
        var parameters = TrainingParameters()
        parameters.validationFraction = 0.2
        parameters.seed = 7
        let (_, summary, _) = try fit("iris.csv", parameters)
        let accuracy = try #require(summary.validationAccuracy)
        #expect(accuracy > 0.8 && accuracy <= 1)
    }
}

/// Knuth's MMIX linear congruential generator: deterministic test data without Foundation's random sources.
struct LinearCongruential {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func uniform() -> Double {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Double(state >> 11) / Double(1 << 53)
    }
}
