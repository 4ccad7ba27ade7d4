import Foundation
import LogitCore
import LogitTestSupport
import Testing

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
        #expect(throws: TrainingError.self) { try fit("iris.csv", parameters) }
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
