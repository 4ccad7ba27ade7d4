import Foundation
import LogitCore
import LogitTestSupport
import Testing

/// `ClassificationMetrics` against `sklearn.metrics` on the same labels and probabilities
/// (`Fixtures/metrics/reference.json`, written by `scripts/sklearn_metrics_reference.py`): iris, wine, a binary
/// subset of iris, the subset with tied scores, and a weak wine model that never predicts one class.
@Suite struct ClassificationMetricsTests {
    struct Case: Decodable, CustomStringConvertible {
        var `case`: String
        var classes: [String]
        var labels: [Int]
        var predicted: [Int]
        var probabilities: [Double]
        var sklearn: ClassificationMetrics.Reference
        var description: String { self.case }
    }

    static let cases: [Case] = try! JSONDecoder().decode([Case].self, from: Data(Fixtures.bytes("metrics/reference.json")))

    static let tolerance = 1e-9

    @Test(arguments: cases)
    func matchesScikitLearn(_ reference: Case) {
        let metrics = ClassificationMetrics(
            labels: reference.labels, probabilities: reference.probabilities, predicted: reference.predicted, classes: reference.classes)
        let expected = reference.sklearn
        #expect(metrics.sampleCount == reference.labels.count)
        #expect(abs(metrics.accuracy - expected.accuracy) <= Self.tolerance)
        #expect(abs(metrics.logLoss - expected.logLoss) <= Self.tolerance, "log-loss \(metrics.logLoss) vs \(expected.logLoss)")
        for (name, ours, theirs) in [
            ("precision", metrics.precision, expected.precision), ("recall", metrics.recall, expected.recall), ("f1", metrics.f1, expected.f1),
        ] {
            #expect(ours.count == theirs.count, "\(name)")
            for (a, b) in zip(ours, theirs) { #expect(abs(a - b) <= Self.tolerance, "\(name): \(ours) vs \(theirs)") }
        }
        #expect(metrics.support == expected.support)
        #expect(abs(metrics.macroF1 - expected.macroF1) <= Self.tolerance)
        #expect(metrics.confusionMatrix == expected.confusionMatrix)
        if let auc = expected.rocAUC {
            let ours = try! #require(metrics.rocAUC)
            #expect(abs(ours - auc) <= Self.tolerance, "ROC AUC \(ours) vs \(auc)")
        } else {
            #expect(metrics.rocAUC == nil, "ROC AUC is for binary models")
        }
    }

    @Test func theFixtureCoversTiesAndZeroDivision() {
        let weak = try! #require(Self.cases.first { $0.case == "wine-weak" })
        #expect(weak.sklearn.precision.contains(0), "a class never predicted")
        let ties = try! #require(Self.cases.first { $0.case == "iris-binary-ties" })
        #expect(Set(ties.probabilities).count < ties.probabilities.count / 2, "tied scores")
    }

    @Test func aucIsNilWithOneClassAndHalfForConstantScores() {
        let one = ClassificationMetrics(labels: [1, 1], probabilities: [0.2, 0.8, 0.6, 0.4], predicted: [1, 0], classes: ["a", "b"])
        #expect(one.rocAUC == nil)
        let constant = ClassificationMetrics(
            labels: [0, 1, 0, 1], probabilities: [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5], predicted: [0, 0, 0, 0], classes: ["a", "b"])
        #expect(constant.rocAUC == 0.5)
        #expect(constant.precision == [0.5, 0], "a class never predicted has precision 0")
    }
}

extension ClassificationMetrics {
    /// scikit-learn's numbers, as the reference script writes them (same names as the API's document).
    struct Reference: Decodable {
        var accuracy: Double
        var logLoss: Double
        var precision: [Double]
        var recall: [Double]
        var f1: [Double]
        var support: [Int]
        var macroF1: Double
        var confusionMatrix: [[Int]]
        var rocAUC: Double?

        enum CodingKeys: String, CodingKey {
            case accuracy, precision, recall, f1, support
            case logLoss = "log_loss"
            case macroF1 = "macro_f1"
            case confusionMatrix = "confusion_matrix"
            case rocAUC = "roc_auc"
        }
    }
}
