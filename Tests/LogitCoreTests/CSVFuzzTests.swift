import LogitCore
import LogitTestSupport
import Testing

/// Property tests over seeded random mutations of real CSV: the parsers never crash, never accept a non-finite
/// value, and every rejection names a line that exists.
@Suite struct CSVFuzzTests {
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state ^ (state >> 29)
        }
    }

    static let alphabet: [UInt8] = Array("0123456789.,-+eE \"\n\r\tabxn".utf8) + [0, 0xFF, 0xEF, 0xBB, 0xBF]

    static func mutate(_ original: [UInt8], _ random: inout Generator) -> [UInt8] {
        var bytes = original
        for _ in 0..<Int.random(in: 1...8, using: &random) {
            guard !bytes.isEmpty else { break }
            let at = Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<4, using: &random) {
            case 0: bytes[at] = alphabet.randomElement(using: &random)!
            case 1: bytes.insert(alphabet.randomElement(using: &random)!, at: at)
            case 2: bytes.remove(at: at)
            default: bytes.removeSubrange(at...)
            }
        }
        return bytes
    }

    @Test func trainingParserSurvivesRandomMutations() {
        let seed = Array(Fixtures.bytes("iris.csv").prefix(600))
        var random = Generator(state: 42)
        var accepted = 0
        for _ in 0..<20_000 {
            let body = Self.mutate(seed, &random)
            let lines = body.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).count
            do {
                let set = try TrainingSet.parse(body)
                accepted += 1
                #expect(set.rowCount >= 2 && set.classes.count >= 2)
                #expect(set.features.allSatisfy { $0.isFinite })
                #expect(set.features.count == set.rowCount * set.featureCount)
            } catch {
                if let line = error.line { #expect(line >= 1 && line <= lines, "line \(line) of \(lines)") }
                #expect(!error.reason.isEmpty)
            }
        }
        #expect(accepted > 0, "some mutations stay valid")
    }

    @Test func predictionParserSurvivesRandomMutations() {
        let seed = Array("5.1,3.5,1.4,0.2\n6.9,3.1,5.1,2.3\n4.7,3.2,1.3,0.2\n".utf8)
        var random = Generator(state: 7)
        for _ in 0..<20_000 {
            let body = Self.mutate(seed, &random)
            if let rows = try? FeatureRows.parse(body, featureCount: 4) {
                #expect(rows.values.count == rows.rowCount * 4)
                #expect(rows.values.allSatisfy { $0.isFinite })
            }
        }
    }
}
