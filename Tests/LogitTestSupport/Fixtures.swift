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
