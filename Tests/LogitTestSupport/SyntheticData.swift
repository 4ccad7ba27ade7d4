import Foundation

/// Deterministic overlapping classes as headerless CSV (label last), for tests that need a fit that takes a while.
public enum SyntheticData {
    public static func csv(rows: Int, features: Int, classes: Int, seed: UInt64 = 1) -> String {
        var state = seed
        func uniform() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        var lines: [String] = []
        lines.reserveCapacity(rows)
        for row in 0..<rows {
            let label = row % classes
            let values = (0..<features).map { feature -> String in
                let centre = Double((label * 7 + feature * 3) % 5) * 0.4
                let noise = (uniform() + uniform() + uniform() - 1.5) * 2
                return String(format: "%.4f", centre + noise)
            }
            lines.append(values.joined(separator: ",") + ",c\(label)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
