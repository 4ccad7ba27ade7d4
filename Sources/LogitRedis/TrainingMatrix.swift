import LogitCore
import NIOCore

/// A large training body stored parsed, so that it is parsed once (by the API, which must read it anyway to answer
/// 4xx) instead of twice: in `{p}data:{id}`, `n × d` `Float64`s (the features, row after row) then `n` `Int32`s
/// (each row's index into the model's classes), in the machine's byte order (little-endian on every platform the
/// service builds for). The model hash says so with `training_data: matrix`, and gives `n_samples`, `n_features`
/// and `classes`. Without that field the data is the CSV body, which the worker parses.
///
/// On 1,000,000 × 20 × 3 (172 MB of CSV, 164 MB stored) the worker's 0.4 s parse became nothing, for a few tens of
/// milliseconds more in the API (docs/PERFORMANCE.md).
public enum TrainingMatrix {
    /// The value of `ModelField.trainingData` for data stored so.
    public static let fieldValue = "matrix"

    /// The bytes of `rows` rows of `featureCount` features.
    public static func featureBytes(rows: Int, featureCount: Int) -> Int { rows * featureCount * MemoryLayout<Double>.size }

    /// The bytes of `rows` class indices.
    public static func labelBytes(rows: Int) -> Int { rows * MemoryLayout<Int32>.size }
}

/// Writes a large body's rows to `{p}upload:{id}` as `TrainingSet.parseInParts` hands them over, on a connection
/// of its own, from the thread that delivers them: the reading waits while Redis takes a part (so the API holds a
/// few parts, never the matrix), and each part is written by the thread that read it. Handing the parts to the
/// shared client's threads instead let freed parts pile up in those threads' malloc arenas: the API grew by 1.9× an
/// 85 MB body instead of ~1.3×.
///
/// The string is created with the upload's expiry and sized once by the `reserve` delivery (so that Redis allocates
/// it once; `enqueue` renames it). After a Redis error, later rows are not written; `failure` says why.
final class MatrixUpload: @unchecked Sendable {
    // @unchecked: `deliver` is called one call at a time (`parseInParts`), and the state is read only after the read
    // has returned.
    private let client: RedisClient
    private let key: String
    private var connection: RedisConnection? = nil
    /// Bytes of rows written.
    private(set) var rowBytes = 0
    private(set) var failure: RedisError? = nil

    init(client: RedisClient, key: String) {
        self.client = client
        self.key = key
    }

    func deliver(_ delivery: TrainingSet.MatrixDelivery) {
        guard failure == nil else { return }
        do throws(RedisError) {
            switch delivery {
            case .reserve(let rows, let featureCount):
                let bytes = TrainingMatrix.featureBytes(rows: rows, featureCount: featureCount) + TrainingMatrix.labelBytes(rows: rows)
                let opened = try client.dedicatedConnection()
                connection = opened
                let replies = try opened.pipeline([
                    ["SET", .text(key), "", "PX", RedisArgument(JobQueue.uploadExpiry.wholeMilliseconds)],
                    ["SETRANGE", .text(key), RedisArgument(max(0, bytes - 1)), .bytes([0])],
                ])
                for case .error(let message) in replies { throw .serverError(message) }
            case .rows(let values):
                guard let connection else { return }
                let reply = try connection.command([
                    "SETRANGE", .text(key), RedisArgument(rowBytes), .buffer(ByteBuffer(bytes: UnsafeRawBufferPointer(values))),
                ])
                if case .error(let message) = reply { throw .serverError(message) }
                rowBytes += values.count * MemoryLayout<Double>.size
            }
        } catch {
            failure = error
            connection = nil
        }
    }

    /// Closes the connection.
    func finish() { connection = nil }
}

extension JobQueue {
    /// Writes every row's class after the `rowBytes` bytes of rows that `MatrixUpload` wrote.
    public func stageLabels(_ id: ModelID, _ labels: [Int32], rowBytes: Int) async throws(RedisError) {
        let bytes = labels.withUnsafeBytes { ByteBuffer(bytes: $0) }
        try await client.send("SETRANGE", .text(keys.upload(id)), RedisArgument(rowBytes), .buffer(bytes))
    }
}
