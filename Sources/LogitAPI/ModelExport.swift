import LogitCore

/// What `GET /models/{id}/export?format=` can answer.
public enum ExportFormat: String, CaseIterable, Sendable {
    /// An ONNX model (`application/octet-stream`) that onnxruntime runs: raw features in, labels and probabilities
    /// out (`ExportedTensor`), the standardization in the graph.
    case onnx
    /// `ModelExport`: the coefficients, intercepts, scaler and classes as JSON.
    case json

    public var mediaType: String {
        switch self {
        case .onnx: "application/octet-stream"
        case .json: "application/json"
        }
    }
}

/// The tensors of an exported model, named once for the ONNX graph and the Open Inference Protocol routes alike.
public enum ExportedTensor {
    /// `[n, d]` raw features (FP64 in ONNX; FP64 or FP32 over the protocol), in the model's feature order.
    public static let features = "features"
    /// `[n]` the most probable class of each row, as the string training saw (ties go to the first class).
    public static let label = "label"
    /// `[n, K]` FP64, one column per class in `classes` order (for a binary model: `[1 − p, p]`).
    public static let probabilities = "probabilities"
}

/// `GET /models/{id}/export?format=json`: everything prediction needs, in the terms of scikit-learn.
///
/// With raw features `x` (in `feature_names` order), the logits are `x · coefficients.coef[k] + coefficients.intercept[k]`
/// (the original scale, scikit-learn's `coef_` and `intercept_`), or equally `z · standardized.coef[k] +
/// standardized.intercept[k]` with `z = (x − scaler.mean) / scaler.scale` (what the service computes). A `binary`
/// model has one row, for the second class: `p(classes[1]) = σ(logit)`, `p(classes[0]) = 1 − p`. A `multinomial`
/// model has one row per class: the probabilities are the softmax of the K logits.
public struct ModelExport: APIResponse, Equatable {
    public var modelID: String
    /// `binary` (the sigmoid model, one coefficient row) or `multinomial` (softmax, one row per class).
    public var kind: Kind
    /// The labels, in probability-column and coefficient-row order (scikit-learn's `classes_`).
    public var classes: [String]
    public var featureCount: Int
    /// With a header row at training: the features' names, in order.
    public var featureNames: [String]?
    /// On the original (raw) feature scale: scikit-learn's `coef_` and `intercept_`.
    public var coefficients: Coefficients
    /// On the standardized scale, as fitted.
    public var standardized: Coefficients
    /// The training mean and (population) standard deviation of each feature, 1 for a constant one: scikit-learn's
    /// `StandardScaler` `mean_` and `scale_`.
    public var scaler: Standardizer

    public enum Kind: String, Codable, Sendable {
        case binary, multinomial
    }

    public init(modelID: String, model: LogisticModel) {
        self.modelID = modelID
        self.kind = model.isBinary ? .binary : .multinomial
        self.classes = model.classes
        self.featureCount = model.featureCount
        self.featureNames = model.featureNames
        self.coefficients = Coefficients(model)
        let d = model.featureCount
        self.standardized = Coefficients(
            coef: (0..<model.rowCount).map { row in Array(model.weights[row * d..<(row + 1) * d]) }, intercept: model.intercepts)
        self.scaler = model.standardizer
    }

    enum CodingKeys: String, CodingKey {
        case kind, classes, coefficients, standardized, scaler
        case modelID = "model_id"
        case featureCount = "n_features"
        case featureNames = "feature_names"
    }

    public static var example: Self {
        var model = LogisticModel(
            classes: ["no", "yes"], standardizer: Standardizer(mean: [5.8, 3.1], scale: [0.8, 0.4]), weights: [1.5, -0.5], intercepts: [0.2])
        model.featureNames = ["length", "width"]
        return ModelExport(modelID: Examples.id, model: model)
    }
    public static var minimalExample: Self {
        ModelExport(
            modelID: Examples.id,
            model: LogisticModel(classes: ["no", "yes"], standardizer: Standardizer(mean: [5.8], scale: [0.8]), weights: [1.5], intercepts: [0.2]))
    }
}
