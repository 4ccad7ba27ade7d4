import Foundation
import Hummingbird
import LogitAPI
import LogitCore
import NIOCore

/// Feature rows from a JSON prediction (`PredictionRequest`): arrays in the model's feature order, or objects naming
/// the features (the model must have been trained on a headered CSV). Errors name the instance.
enum PredictionInstances {
    static func rows(_ body: ByteBuffer, model: LogisticModel) throws -> FeatureRows {
        let request: PredictionRequest
        do {
            request = try JSONDecoder().decode(PredictionRequest.self, from: Data(body.readableBytesView))
        } catch {
            throw ProblemError(
                .badRequest,
                "The body is not a prediction request: send {\"instances\": [[x1, x2, …], …]} (numbers in the model's feature order)"
                    + (model.featureNames == nil ? "" : " or {\"instances\": [{\"feature name\": x, …}, …]}") + ".")
        }
        guard !request.instances.isEmpty else { throw ProblemError(.badRequest, "instances is empty: send at least one row") }
        let d = model.featureCount
        var values: [Double] = []
        values.reserveCapacity(request.instances.count * d)
        for (index, instance) in request.instances.enumerated() {
            switch instance {
            case .values(let row):
                guard row.count == d else {
                    throw ProblemError(.badRequest, "instances[\(index)] has \(row.count) values; the model takes \(d) features")
                }
                values += row
            case .named(let named):
                guard let names = model.featureNames else {
                    throw ProblemError(
                        .badRequest,
                        "instances[\(index)] names its features, but this model was trained without a header row: send arrays of \(d) numbers")
                }
                for name in names {
                    guard let value = named[name] else { throw ProblemError(.badRequest, "instances[\(index)] lacks the feature \"\(name)\"") }
                    values.append(value)
                }
            }
        }
        return FeatureRows(values: values, featureCount: d)
    }
}
