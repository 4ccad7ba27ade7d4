import Foundation
import LogitAPI
import LogitCore
import LogitTestSupport
import Testing

@testable import LogitServer

/// The byte writer of prediction answers (`PredictionDocument`, kept for speed) says what the `Codable` document
/// says: its JSON decodes as the `PredictionResponse` of the same labels and probabilities, bit for bit, and its CSV
/// holds the same values. On a corpus of class names and probabilities, edge values included.
@Suite struct PredictionDocumentTests {
    static let names = ["a", "setosa", "0", "-1", "2.5", "with,comma", "with \"quote\"", "=SUM(A1)", "ünï", "new\nline", "tab\tbed"]
    static let values: [Double] = [0, 1, 0.5, 1e-300, 5e-324, 0.1, 1.0 / 3.0, 0.999999999999, 2.2250738585072014e-308, 0.25]

    @Test func theWrittenAnswersCarryTheValuesExactly() throws {
        var random = SeededGenerator(seed: 9)
        for _ in 0..<300 {
            let k = Int.random(in: 2...5, using: &random)
            var classes: [String] = []
            while classes.count < k {
                let name = Self.names.randomElement(using: &random)! + (Bool.random(using: &random) ? "" : "\(classes.count)")
                if !classes.contains(name) { classes.append(name) }
            }
            let model = LogisticModel(
                classes: classes, standardizer: Standardizer(mean: [0], scale: [1]), weights: Array(repeating: 0, count: k == 2 ? 1 : k),
                intercepts: Array(repeating: 0, count: k == 2 ? 1 : k))
            let n = Int.random(in: 1...30, using: &random)
            let probabilities = (0..<(n * k)).map { _ in
                Bool.random(using: &random) ? Self.values.randomElement(using: &random)! : Double.random(in: 0...1, using: &random)
            }
            let labels = model.predictedClasses(probabilities: probabilities).map { classes[$0] }
            let rows = (0..<n).map { Array(probabilities[($0 * k)..<(($0 + 1) * k)]) }

            let json = try JSONDecoder().decode(
                PredictionResponse.self, from: Data(PredictionDocument.json(model: model, probabilities: probabilities)))
            #expect(json.predictions == labels && json.classes == classes)
            #expect(json.predictionProbability.map { $0.map(\.bitPattern) } == rows.map { $0.map(\.bitPattern) })

            guard !classes.contains(where: { $0.contains("\n") }) else { continue }  // quoted newlines: not split by lines below
            let csv = String(decoding: PredictionDocument.csv(model: model, probabilities: probabilities), as: UTF8.self)
            // Each line ends with its k probabilities, which never need quoting: read them from the right.
            let lines = csv.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
            let dataLines = lines.suffix(n)
            for (row, line) in dataLines.enumerated() {
                let cells = line.split(separator: ",", omittingEmptySubsequences: false).suffix(k).map { Double(String($0)) }
                #expect(cells.map { $0?.bitPattern } == rows[row].map(\.bitPattern), "\(line)")
            }
        }
    }
}
