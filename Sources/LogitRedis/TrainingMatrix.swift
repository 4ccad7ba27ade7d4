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

    /// What the stager writes, in this order: `reserve` once (the string's size, so that Redis allocates it once),
    /// then the rows.
    public enum Piece: Sendable {
        case reserve(bytes: Int)
        case rows(ByteBuffer)
    }

    /// The bytes of `rows` rows of `featureCount` features.
    public static func featureBytes(rows: Int, featureCount: Int) -> Int { rows * featureCount * MemoryLayout<Double>.size }

    /// The bytes of `rows` class indices.
    public static func labelBytes(rows: Int) -> Int { rows * MemoryLayout<Int32>.size }

    /// The piece for a delivery of `TrainingSet.parseInParts`.
    public static func piece(_ delivery: TrainingSet.MatrixDelivery) -> Piece {
        switch delivery {
        case .reserve(let rows, let featureCount):
            .reserve(bytes: featureBytes(rows: rows, featureCount: featureCount) + labelBytes(rows: rows))
        case .rows(let values):
            .rows(ByteBuffer(bytes: UnsafeRawBufferPointer(values)))
        }
    }
}

extension JobQueue {
    /// Writes the rows of a large body to `{p}upload:{id}` as they come (with the upload's expiry; `enqueue` renames
    /// it), and returns how many bytes of rows it wrote. After a Redis error it still drains `pieces`, unwritten, so
    /// that the reading side never piles rows up, then throws the error.
    public func stageMatrix(_ id: ModelID, _ pieces: AsyncStream<TrainingMatrix.Piece>) async throws(RedisError) -> Int {
        let key = keys.upload(id)
        var offset = 0
        var failure: RedisError? = nil
        for await piece in pieces where failure == nil {
            do throws(RedisError) {
                switch piece {
                case .reserve(let bytes):
                    // An empty string grown to its final size at once (see `stage`).
                    let replies = try await client.pipeline([
                        ["SET", .text(key), "", "PX", RedisArgument(Self.uploadExpiry.wholeMilliseconds)],
                        ["SETRANGE", .text(key), RedisArgument(max(0, bytes - 1)), .bytes([0])],
                    ])
                    for case .error(let message) in replies { throw .serverError(message) }
                case .rows(let rows):
                    try await client.send("SETRANGE", .text(key), RedisArgument(offset), .buffer(rows))
                    offset += rows.readableBytes
                }
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        return offset
    }

    /// Writes every row's class after the `rowBytes` bytes of rows staged by `stageMatrix`.
    public func stageLabels(_ id: ModelID, _ labels: [Int32], rowBytes: Int) async throws(RedisError) {
        let bytes = labels.withUnsafeBytes { ByteBuffer(bytes: $0) }
        try await client.send("SETRANGE", .text(keys.upload(id)), RedisArgument(rowBytes), .buffer(bytes))
    }
}
