import Foundation

/// How well a model's predictions match known labels, as `sklearn.metrics` computes them (checked against it on
/// iris, wine and a binary subset within 1e-9: `ClassificationMetricsTests`). Pure: labels and probabilities in,
/// numbers out.
///
/// With `n` rows, true classes `y_i`, predicted classes `ŷ_i` (the model's: the most probable class) and the
/// probability `p_i` the model gave `y_i`:
/// - accuracy `= #{ŷ_i = y_i} / n`;
/// - log-loss `= −(1/n) Σ log clip(p_i, ε, 1 − ε)`, ε the spacing of doubles at 1 (`log_loss`);
/// - per class c, with `tp`, `fp`, `fn` counted over the rows: precision `tp / (tp + fp)`, recall `tp / (tp + fn)`,
///   F1 `2 tp / (2 tp + fp + fn)`, each 0 when its denominator is 0 (`zero_division=0`);
/// - macro F1: the mean of F1 over every class of the model (`f1_score(average="macro", labels=classes)`);
/// - the confusion matrix: row = true class, column = predicted class, in the model's class order;
/// - ROC AUC, binary models only and when both classes occur: the probability that a random positive row (the
///   second class, scikit-learn's `pos_label`) scores above a random negative one, ties counting one half — the
///   Mann–Whitney statistic, equal to the area under the ROC curve with tied scores on one segment (`roc_auc_score`).
public struct ClassificationMetrics: Codable, Sendable, Equatable {
    public var sampleCount: Int
    public var accuracy: Double
    public var logLoss: Double
    /// The model's classes: the order of every per-class list and of the matrix.
    public var classes: [String]
    public var precision: [Double]
    public var recall: [Double]
    public var f1: [Double]
    /// Rows of each class.
    public var support: [Int]
    public var macroF1: Double
    public var confusionMatrix: [[Int]]
    /// Binary models only, and only when both classes occur.
    public var rocAUC: Double?

    enum CodingKeys: String, CodingKey {
        case accuracy, classes, precision, recall, f1, support
        case sampleCount = "n_samples"
        case logLoss = "log_loss"
        case macroF1 = "macro_f1"
        case confusionMatrix = "confusion_matrix"
        case rocAUC = "roc_auc"
    }

    /// `labels`: each row's true class (an index into `classes`); `probabilities`: row-major `n × K`, K =
    /// `classes.count`; `predicted`: each row's predicted class. Needs at least one row.
    public init(labels: [Int], probabilities: [Double], predicted: [Int], classes: [String]) {
        let k = classes.count
        let n = labels.count
        precondition(n > 0 && probabilities.count == n * k && predicted.count == n, "one label, prediction and probability row per row")
        var matrix = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
        var lossSum = 0.0
        let epsilon = Double.ulpOfOne
        for i in 0..<n {
            matrix[labels[i]][predicted[i]] += 1
            lossSum -= log(min(max(probabilities[i * k + labels[i]], epsilon), 1 - epsilon))
        }
        let correct = (0..<k).reduce(0) { $0 + matrix[$1][$1] }
        var precision: [Double] = []
        var recall: [Double] = []
        var f1: [Double] = []
        var support: [Int] = []
        for c in 0..<k {
            let tp = matrix[c][c]
            let actual = matrix[c].reduce(0, +)
            let predictedCount = (0..<k).reduce(0) { $0 + matrix[$1][c] }
            precision.append(predictedCount == 0 ? 0 : Double(tp) / Double(predictedCount))
            recall.append(actual == 0 ? 0 : Double(tp) / Double(actual))
            let denominator = actual + predictedCount  // 2 tp + fp + fn
            f1.append(denominator == 0 ? 0 : Double(2 * tp) / Double(denominator))
            support.append(actual)
        }
        self.sampleCount = n
        self.accuracy = Double(correct) / Double(n)
        self.logLoss = lossSum / Double(n)
        self.classes = classes
        self.precision = precision
        self.recall = recall
        self.f1 = f1
        self.support = support
        self.macroF1 = f1.reduce(0, +) / Double(k)
        self.confusionMatrix = matrix
        self.rocAUC = k == 2 ? Self.rocAUC(positive: labels.map { $0 == 1 }, scores: (0..<n).map { probabilities[$0 * 2 + 1] }) : nil
    }

    /// The Mann–Whitney form of the area under the ROC curve: (Σ ranks of the positives − P(P+1)/2) / (P·N), ranks
    /// averaged over ties. Nil when either class is absent.
    static func rocAUC(positive: [Bool], scores: [Double]) -> Double? {
        let positives = positive.filter { $0 }.count
        let negatives = positive.count - positives
        guard positives > 0, negatives > 0 else { return nil }
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var rankSum = 0.0
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count && scores[order[end + 1]] == scores[order[start]] { end += 1 }
            let averageRank = Double(start + end + 2) / 2  // ranks are 1-based
            for index in order[start...end] where positive[index] { rankSum += averageRank }
            start = end + 1
        }
        let p = Double(positives)
        return (rankSum - p * (p + 1) / 2) / (p * Double(negatives))
    }
}

extension LogisticModel {
    /// The metrics of this model on raw features (row-major `n × featureCount`) with known classes (indices into
    /// `classes`).
    public func metrics(raw: [Double], labels: [Int]) -> ClassificationMetrics {
        let probabilities = probabilities(raw)
        return ClassificationMetrics(
            labels: labels, probabilities: probabilities, predicted: predictedClasses(probabilities: probabilities), classes: classes)
    }
}
