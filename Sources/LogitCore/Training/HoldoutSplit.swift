/// A seeded split of a training set into the rows to fit on and the rows held out for validation.
public enum HoldoutSplit {
    /// The rows in shuffled order and how many of the first are held out; nil when nothing is held out.
    static func order(rowCount n: Int, fraction: Double, seed: UInt64) -> (order: [Int], held: Int)? {
        let held = min(n - 2, Int((fraction * Double(n)).rounded()))
        guard fraction > 0, held >= 1 else { return nil }
        var generator = SplitMix64(seed: seed)
        var order = Array(0..<n)
        order.shuffle(using: &generator)
        return (order, held)
    }

    /// Checks, before anything is stored, that the split of `validation_fraction` leaves at least 2 rows of every
    /// class on each side (else a class could not be fitted, or not be validated).
    public static func check(labels: [Int32], classes: [String], fraction: Double, seed: UInt64) throws(ParameterError) {
        guard let (order, held) = order(rowCount: labels.count, fraction: fraction, seed: seed) else { return }
        var heldOut = [Int](repeating: 0, count: classes.count)
        var kept = [Int](repeating: 0, count: classes.count)
        for (position, row) in order.enumerated() {
            if position < held { heldOut[Int(labels[row])] += 1 } else { kept[Int(labels[row])] += 1 }
        }
        for (index, name) in classes.enumerated() where heldOut[index] < 2 || kept[index] < 2 {
            throw ParameterError(
                "validation_fraction", String(fraction),
                "a fraction that leaves at least 2 rows of every class on both sides; class \"\(name)\" would have \(kept[index]) to fit on and \(heldOut[index]) held out"
            )
        }
    }

    static func split(_ data: consuming TrainingSet, fraction: Double, seed: UInt64) -> (training: TrainingSet, validation: TrainingSet?) {
        guard let (order, held) = order(rowCount: data.rowCount, fraction: fraction, seed: seed) else { return (data, nil) }
        let d = data.featureCount
        func subset(_ rows: ArraySlice<Int>) -> TrainingSet {
            let sorted = rows.sorted()
            var features = [Double]()
            features.reserveCapacity(sorted.count * d)
            for row in sorted { features.append(contentsOf: data.features[(row * d)..<((row + 1) * d)]) }
            return TrainingSet(features: features, labels: sorted.map { data.labels[$0] }, classes: data.classes, featureCount: d)
        }
        return (subset(order[held...]), subset(order[..<held]))
    }
}

/// A small, fast, seedable generator (Steele, Lea & Flood's SplitMix64): the same seed gives the same split everywhere.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
