import LogitTestSupport
import Testing

@testable import LogitCore

@Suite struct DecimalParserTests {
    func parse(_ text: String) -> Double? {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { buffer in
            if case .success(let value) = DecimalParser.parse(buffer) { return value }
            return nil
        }
    }

    @Test(arguments: [
        "0", "-0", "1", "-1.5", "+2.25", "3.", ".5", "1e3", "1E-3", "2.5e+10", "123456789012345678", "0.1", "0.3",
        "-7.000001", "1.7976931348623157e308", "4.9e-324", "2.2250738585072014e-308", "9007199254740993",
        "12345678901234567890123", "0.000000000000000000000000000001", "3.14159265358979323846264338327950288",
    ])
    func agreesWithTheStandardLibraryBitForBit(text: String) {
        #expect(parse(text)?.bitPattern == Double(text)?.bitPattern, "\(text)")
    }

    @Test func surroundingSpacesAndTabsAreAllowed() {
        #expect(parse("  1.25\t") == 1.25)
        #expect(parse("\t-3 ") == -3)
    }

    @Test(arguments: ["", " ", "abc", "nan", "NaN", "inf", "-infinity", "0x1p3", "1_000", "1e", "1e+", "--1", "1.2.3", "1 2", ".", "-", "e5"])
    func rejectsWhatIsNotAPlainDecimal(text: String) {
        #expect(parse(text) == nil, "\(text)")
    }

    @Test func overflowIsNotFinite() {
        let bytes = Array("1e400".utf8)
        let result = bytes.withUnsafeBufferPointer { DecimalParser.parse($0) }
        guard case .failure(.notFinite) = result else {
            Issue.record("expected notFinite, got \(result)")
            return
        }
    }

    @Test func fastPathIsExactOnRandomDecimals() {
        var state: UInt64 = 12345
        for _ in 0..<20_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let mantissa = Int64(bitPattern: state >> 4) % 10_000_000_000
            let exponent = Int((state >> 1) % 40) - 20
            let text = "\(mantissa)e\(exponent)"
            #expect(parse(text)?.bitPattern == Double(text)?.bitPattern, "\(text)")
        }
    }

    /// The in-place read of a CSV field (the training parser's hot loop) gives `parse`'s value bit for bit, and
    /// declines (nil) whatever it does not handle, for `parse` and the scanner to take.
    @Test func theInPlaceFieldReadAgreesWithParse() {
        var random = SeededGenerator(seed: 5)
        let pieces = ["", "-", "+", "0", "00", "7", "123", "9007199254740993", "12345678901234567890", ".", ".5", "e", "e-3", " ", "x"]
        var read = 0
        for _ in 0..<50_000 {
            var text = ""
            for _ in 0..<Int.random(in: 1...4, using: &random) { text += pieces.randomElement(using: &random)! }
            let terminator = [",", "\n", "\r\n", "", ";", "\r", "\""].randomElement(using: &random)!
            let bytes = Array((text + terminator).utf8)
            let inPlace = bytes.withUnsafeBufferPointer {
                DecimalParser.parseField($0.baseAddress!, from: 0, end: $0.count, delimiter: UInt8(ascii: ","))
            }
            guard let (value, end) = inPlace else { continue }
            read += 1
            #expect(end == text.utf8.count, "\(text + terminator)")
            #expect([",", "\n", "\r\n", ""].contains(terminator), "\(text + terminator)")
            #expect(parse(text)?.bitPattern == value.bitPattern, "\(text): \(value) vs \(String(describing: parse(text)))")
        }
        #expect(read > 3000)
    }
}
