import Foundation

/// A CSV body cut into request-sized pieces at row boundaries, for `logit predict` on files larger than the API
/// takes in one request. A header row (a first line with a field that is not a number) starts every piece.
enum CSVChunks {
    static func split(_ body: Data, maxBytes: Int) -> [Data] {
        guard body.count > maxBytes else { return [body] }
        let bytes = [UInt8](body)
        let firstEnd = bytes.firstIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? bytes.count
        let header = isHeader(bytes[..<firstEnd]) ? Data(bytes[..<firstEnd]) : Data()
        var pieces: [Data] = []
        var start = header.isEmpty ? 0 : firstEnd
        let budget = max(1, maxBytes - header.count)
        while start < bytes.count {
            var end = min(bytes.count, start + budget)
            if end < bytes.count {
                // Back up to the end of the last whole row (a row longer than the budget goes whole).
                if let newline = bytes[start..<end].lastIndex(of: UInt8(ascii: "\n")) {
                    end = newline + 1
                } else {
                    end = bytes[end...].firstIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? bytes.count
                }
            }
            pieces.append(header + Data(bytes[start..<end]))
            start = end
        }
        return pieces
    }

    /// A line is a header when one of its fields is not a number. (Quoted fields with commas or newlines inside are
    /// not expected in feature rows.)
    static func isHeader(_ line: ArraySlice<UInt8>) -> Bool {
        String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",", omittingEmptySubsequences: false)
            .contains { Double($0.trimmingCharacters(in: .whitespaces)) == nil }
    }
}
