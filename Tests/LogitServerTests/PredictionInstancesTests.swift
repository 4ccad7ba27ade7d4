import Foundation
import LogitCore
import LogitTestSupport
import NIOCore
import Testing

@testable import LogitServer

/// The fast reading of `{"instances": [[…], …]}` (`NumberArrays`) agrees with the strict `Codable` one on a corpus:
/// the same values bit for bit when it reads a body, and it declines (nil) whatever the strict path refuses.
@Suite struct PredictionInstancesTests {
    let model = LogisticModel(
        classes: ["a", "b"], standardizer: Standardizer(mean: [0, 0, 0], scale: [1, 1, 1]), weights: [1, 2, 3], intercepts: [0])

    static let numbers = [
        "0", "-0", "1", "-1.5", "3.25e2", "1E-3", "6.02e+23", "123456789012345678901234", "0.1", " 2 ", "4.9406564584124654e-324",
        "1.7976931348623157e308", "-0.000123", "98765.4321",
    ]
    static let notNumbers = ["1e400", "01", "+1", "1.", ".5", "1e", "--1", "0x10", "NaN", "\"1\"", "true", "null"]

    func body(_ random: inout SeededGenerator) -> String {
        let rows = Int.random(in: 1...4, using: &random)
        let row = { (random: inout SeededGenerator) -> String in
            let width = Int.random(in: 0..<10, using: &random) == 0 ? Int.random(in: 2...4, using: &random) : 3
            return "["
                + (0..<width).map { _ in
                    (Int.random(in: 0..<30, using: &random) == 0 ? Self.notNumbers : Self.numbers).randomElement(using: &random)!
                }.joined(separator: ",") + "]"
        }
        var text = #"{"instances": ["# + (0..<rows).map { _ in row(&random) }.joined(separator: ", ") + "]}"
        switch Int.random(in: 0..<12, using: &random) {
        case 0: text = text.replacingOccurrences(of: #""instances""#, with: #""instance""#)
        case 1: text += " x"
        case 2: text = text.replacingOccurrences(of: "]}", with: "], \"parameters\": {}}")
        case 3: text = "\n\t" + text.replacingOccurrences(of: ",", with: " ,\n ") + " "
        default: break
        }
        return text
    }

    @Test func theFastReadingAgreesWithTheStrictOne() throws {
        var random = SeededGenerator(seed: 3)
        var read = 0
        for _ in 0..<5000 {
            let text = body(&random)
            let buffer = ByteBuffer(string: text)
            let fast = buffer.withUnsafeReadableBytes { NumberArrays.rows($0, featureCount: 3) }
            let strict = try? PredictionInstances.strictRows(buffer, model: model)
            guard let fast else { continue }
            read += 1
            let expected = try #require(strict, "the fast path read what the strict path refuses: \(text)")
            #expect(fast.values.map(\.bitPattern) == expected.values.map(\.bitPattern), "\(text)")
        }
        #expect(read > 500)
    }
}
