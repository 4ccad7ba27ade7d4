import Foundation
import LogitCore

/// Prediction responses, written straight to bytes (a 100,000-row batch is one pass, no intermediate objects).
enum PredictionDocument {
    /// `{"predictions": [...], "prediction_probability": [[...]], "classes": [...]}`; labels as the strings training saw.
    static func json(model: LogisticModel, probabilities: [Double]) -> [UInt8] {
        let k = model.classes.count
        let predicted = model.predictedClasses(probabilities: probabilities)
        let encodedClasses = model.classes.map { JSONValue.string($0).serialized() }
        var output: [UInt8] = []
        output.reserveCapacity(predicted.count * (k * 22 + 16) + 64)
        output.append(contentsOf: "{\"predictions\":[".utf8)
        for (row, label) in predicted.enumerated() {
            if row > 0 { output.append(UInt8(ascii: ",")) }
            output += encodedClasses[label]
        }
        output.append(contentsOf: "],\"prediction_probability\":[".utf8)
        for row in 0..<predicted.count {
            if row > 0 { output.append(UInt8(ascii: ",")) }
            output.append(UInt8(ascii: "["))
            for c in 0..<k {
                if c > 0 { output.append(UInt8(ascii: ",")) }
                JSONWriter.number(probabilities[row * k + c], to: &output)
            }
            output.append(UInt8(ascii: "]"))
        }
        output.append(contentsOf: "],\"classes\":".utf8)
        JSONValue.array(model.classes.map { .string($0) }).write(to: &output)
        output.append(UInt8(ascii: "}"))
        return output
    }

    /// A header `label,<class 1>,…,<class K>`, then per row the predicted label and one probability per class;
    /// the rows' `passthrough` columns (if any) come first, as they were sent.
    static func csv(model: LogisticModel, probabilities: [Double], passthrough rows: FeatureRows? = nil) -> [UInt8] {
        let k = model.classes.count
        let predicted = model.predictedClasses(probabilities: probabilities)
        let encodedClasses = model.classes.map { Array(csvField($0).utf8) }
        let kept = rows?.passthroughNames.count ?? 0
        var output: [UInt8] = []
        output.reserveCapacity(predicted.count * (k * 22 + 16) + 64)
        for name in rows?.passthroughNames ?? [] {
            output.append(contentsOf: csvField(name).utf8)
            output.append(UInt8(ascii: ","))
        }
        output.append(contentsOf: "label".utf8)
        for name in encodedClasses {
            output.append(UInt8(ascii: ","))
            output += name
        }
        output.append(UInt8(ascii: "\n"))
        for (row, label) in predicted.enumerated() {
            if let rows, kept > 0 {
                // Appended in place: an `Array` of the cell plus a one-byte array made two allocations per cell and row.
                for value in rows.passthrough[(row * kept)..<((row + 1) * kept)] {
                    output.append(contentsOf: csvField(value).utf8)
                    output.append(UInt8(ascii: ","))
                }
            }
            output += encodedClasses[label]
            for c in 0..<k {
                output.append(UInt8(ascii: ","))
                output.append(contentsOf: probabilities[row * k + c].description.utf8)
            }
            output.append(UInt8(ascii: "\n"))
        }
        return output
    }

    /// A CSV cell for a label: RFC 4180 quoting, and neutralized against spreadsheet formula injection as OWASP
    /// recommends: a label that begins with `=`, `+`, `-`, `@`, tab or carriage return gets a leading `'`, so a
    /// spreadsheet shows it as text instead of evaluating it. A label that is a number (`-1`, `+2.5`) stays as it is.
    static func csvField(_ label: String) -> String {
        var text = label
        if let first = text.utf8.first, Self.formulaTriggers.contains(first), Double(text) == nil { text = "'" + text }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static let formulaTriggers: Set<UInt8> = [UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"), 0x09, 0x0D]
}
