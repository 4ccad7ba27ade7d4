import Foundation
import LogitCore

extension ModelRecord {
    /// The hash fields `fields` reads: all but the fitted weights (`model`), which only prediction needs.
    public static let recordFields: [ModelField] = ModelField.allCases.filter { $0 != .model }

    /// The record as hash fields (absent optionals are absent fields). Every field is handled by the exhaustive
    /// switch in `value(of:)`.
    public var fields: [(ModelField, String)] {
        ModelField.allCases.compactMap { field in value(of: field).map { (field, $0) } }
    }

    /// The stored text of one field, or nil when the record has no value for it.
    public func value(of field: ModelField) -> String? {
        switch field {
        case .state: state.rawValue
        case .createdAt: Timestamp.format(createdAt)
        case .startedAt: startedAt.map(Timestamp.format)
        case .finishedAt: finishedAt.map(Timestamp.format)
        case .params: RecordJSON.encode(parameters)
        case .format: RecordJSON.encode(format)
        case .featureNames: shape.featureNames.map { RecordJSON.encode($0) }
        case .labelName: shape.labelName
        case .warnings: warnings.isEmpty ? nil : RecordJSON.encode(warnings)
        case .phase: progress?.phase?.rawValue
        case .classes: RecordJSON.encode(shape.classes)
        case .featureCount: String(shape.featureCount)
        case .sampleCount: String(shape.sampleCount)
        case .maxIter: String(parameters.maxIter)
        case .progressIteration: progress.map { String($0.iteration) }
        case .progressObjective: progress?.objective.map { String($0) }
        case .progressUpdatedAt: progress?.updatedAt.map(Timestamp.format)
        case .summary: result.map { RecordJSON.encode($0.summary) }
        case .coefficients: result.map { RecordJSON.encode($0.coefficients) }
        case .trainingData: nil  // how the job's data is stored: `ModelStore.create`, for the worker
        case .model: nil  // written by the worker with the result (`JobQueue.complete`), read only to predict
        case .error: error
        case .attempts: String(attempts)
        case .worker: worker
        case .name: name?.rawValue
        case .version: version.map { String($0) }
        }
    }

    /// Reads a record from its hash fields (names as stored). Throws `CorruptRecordError` naming the first field
    /// that is missing or unreadable.
    public init(id: ModelID, fields stored: [String: String]) throws(CorruptRecordError) {
        let reader = FieldReader(id: id, stored: stored)
        let parameters = try reader.json(.params, TrainingParameters.self)
        let progress = try reader.progress()
        var result: FitResult? = nil
        if stored[ModelField.summary.rawValue] != nil || stored[ModelField.coefficients.rawValue] != nil {
            result = FitResult(
                summary: try reader.json(.summary, TrainingSummary.self), coefficients: try reader.json(.coefficients, Coefficients.self))
        }
        self.init(
            state: try reader.required(.state, ModelState.init(rawValue:)),
            createdAt: try reader.required(.createdAt, Timestamp.parse),
            startedAt: try reader.optional(.startedAt, Timestamp.parse),
            finishedAt: try reader.optional(.finishedAt, Timestamp.parse),
            parameters: parameters,
            // Records stored before the format existed were the original's layout.
            format: stored[ModelField.format.rawValue] == nil ? CSVFormat() : try reader.json(.format, CSVFormat.self),
            shape: DataShape(
                classes: try reader.json(.classes, [String].self), featureCount: try reader.required(.featureCount, Int.init),
                sampleCount: try reader.required(.sampleCount, Int.init),
                featureNames: stored[ModelField.featureNames.rawValue] == nil ? nil : try reader.json(.featureNames, [String].self),
                labelName: stored[ModelField.labelName.rawValue]),
            progress: progress, result: result, error: stored[ModelField.error.rawValue],
            warnings: stored[ModelField.warnings.rawValue] == nil ? [] : try reader.json(.warnings, [String].self),
            attempts: try reader.optional(.attempts, Int.init) ?? 0, worker: stored[ModelField.worker.rawValue],
            name: try reader.optional(.name, ModelName.init(validating:)), version: try reader.optional(.version, Int.init))
    }
}

/// Reads typed values out of stored hash fields, naming the field when one is missing or unreadable.
struct FieldReader {
    let id: ModelID
    let stored: [String: String]

    /// The progress fields, as the record's `Progress`; nil before the first claim.
    func progress() throws(CorruptRecordError) -> ModelRecord.Progress? {
        guard let iteration = try optional(.progressIteration, Int.init) else { return nil }
        return ModelRecord.Progress(
            phase: try optional(.phase, TrainingPhase.init(rawValue:)), iteration: iteration,
            objective: try optional(.progressObjective, Double.init), updatedAt: try optional(.progressUpdatedAt, Timestamp.parse))
    }

    func optional<T>(_ field: ModelField, _ parse: (String) -> T?) throws(CorruptRecordError) -> T? {
        guard let text = stored[field.rawValue] else { return nil }
        guard let value = parse(text) else {
            throw CorruptRecordError(id: id, field: field.rawValue, reason: "unreadable value \"\(text.prefix(40))\"")
        }
        return value
    }

    func required<T>(_ field: ModelField, _ parse: (String) -> T?) throws(CorruptRecordError) -> T {
        guard let value = try optional(field, parse) else { throw CorruptRecordError(id: id, field: field.rawValue, reason: "missing") }
        return value
    }

    func json<T: Decodable>(_ field: ModelField, _ type: T.Type) throws(CorruptRecordError) -> T {
        guard let text = stored[field.rawValue] else { throw CorruptRecordError(id: id, field: field.rawValue, reason: "missing") }
        do {
            return try RecordJSON.decoder.decode(type, from: Data(text.utf8))
        } catch {
            throw CorruptRecordError(id: id, field: field.rawValue, reason: "unreadable JSON (\(error))")
        }
    }
}

/// The JSON stored in record fields: sorted keys, so the same value is always the same text, and non-finite numbers
/// (an objective history of a diverged fit) as strings instead of an encoding error.
public enum RecordJSON {
    static let nonFinite = (positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")

    public static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: nonFinite.positiveInfinity, negativeInfinity: nonFinite.negativeInfinity, nan: nonFinite.nan)
        // Every stored type is plain data (numbers, strings, arrays) and non-finite numbers have a spelling: encoding
        // cannot fail.
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }

    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: nonFinite.positiveInfinity, negativeInfinity: nonFinite.negativeInfinity, nan: nonFinite.nan)
        return decoder
    }
}
