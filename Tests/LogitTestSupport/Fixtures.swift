import Foundation

/// Files under the package's `Fixtures/` folder.
public enum Fixtures {
    public static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()

    public static func url(_ name: String) -> URL { root.appendingPathComponent("Fixtures").appendingPathComponent(name) }

    public static func bytes(_ name: String) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: url(name).path) else { fatalError("missing fixture \(name)") }
        return [UInt8](data)
    }

    /// scikit-learn's optimum for a data set of `reference.jsonl` (C = 1).
    public static func referenceOptimum(_ dataset: String) -> (objective: Double, accuracy: Double) {
        let text = String(decoding: bytes("reference.jsonl"), as: UTF8.self)
        for line in text.split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                object["dataset"] as? String == dataset, let optimum = object["optimum"] as? [String: Any],
                let objective = optimum["objective"] as? Double, let accuracy = optimum["train_accuracy"] as? Double
            else { continue }
            return (objective, accuracy)
        }
        fatalError("no reference for \(dataset)")
    }
}

/// One line of `Fixtures/numerics/optima.jsonl` (made by `scripts/sklearn_reference.py`): a data set, training
/// parameters, and scikit-learn's optimum for them (tight tolerance), with its probabilities for a few rows.
public struct NumericCase: Sendable, CustomStringConvertible {
    public let name: String
    /// Relative to `Fixtures/`.
    public let file: String
    /// The parameters as `POST /models` query items.
    public let query: [(name: String, value: String)]
    public let classes: [String]
    public let objective: Double
    /// scikit-learn's default fit (tol 1e-4), for comparison.
    public let sklearnDefaultObjective: Double
    public let trainAccuracy: Double
    public let probabilityRows: [Int]
    /// `predict_proba` of scikit-learn's optimum for `probabilityRows`, one array per row.
    public let probabilities: [[Double]]
    public var description: String { name }
}

extension Fixtures {
    /// Every case of `Fixtures/numerics/optima.jsonl`.
    public static func numericCases() -> [NumericCase] {
        let text = String(decoding: bytes("numerics/optima.jsonl"), as: UTF8.self)
        return text.split(separator: "\n").compactMap { line -> NumericCase? in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let name = object["case"] as? String, let file = object["file"] as? String,
                let params = object["params"] as? [String: Any], let classes = object["classes"] as? [String],
                let objective = object["objective"] as? Double, let sklearnDefault = object["sklearn_default_objective"] as? Double,
                let accuracy = object["train_accuracy"] as? Double,
                let probabilities = object["probabilities"] as? [String: Any], let rows = probabilities["rows"] as? [Int],
                let values = probabilities["values"] as? [[Double]]
            else { fatalError("bad line in numerics/optima.jsonl: \(line.prefix(80))") }
            let query = params.keys.sorted().map { key -> (name: String, value: String) in
                switch params[key] {
                case let text as String: (key, text)
                case let flag as Bool where key == "fit_intercept": (key, flag ? "true" : "false")
                case let number as NSNumber: (key, "\(number.doubleValue)")
                default: fatalError("unexpected parameter \(key) in numerics/optima.jsonl")
                }
            }
            return NumericCase(
                name: name, file: file, query: query, classes: classes, objective: objective, sklearnDefaultObjective: sklearnDefault,
                trainAccuracy: accuracy, probabilityRows: rows, probabilities: values)
        }
    }

    public static func numericCase(_ name: String) -> NumericCase {
        guard let found = numericCases().first(where: { $0.name == name }) else { fatalError("no numeric case \(name)") }
        return found
    }
}

/// Waits until `condition` holds, checking every few milliseconds, or fails after `seconds`.
public func waitUntil(
    _ what: String, timeout seconds: Double = 30, _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(5))
    }
    throw WaitTimeout(what: what, seconds: seconds)
}

public struct WaitTimeout: Error, CustomStringConvertible {
    public let what: String
    public let seconds: Double
    public var description: String { "timed out after \(seconds) s waiting for: \(what)" }
}

/// Runs blocking work (sockets, process start-up, polling) on a thread of its own, so that it takes no thread from
/// a pool that the code under test needs (NIO's shared blocking pool has one thread per core here).
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}
