/// A seeded split of a training set into the rows to fit on and the rows held out for validation.
enum HoldoutSplit {
    static func split(_ data: consuming TrainingSet, fraction: Double, seed: UInt64) -> (training: TrainingSet, validation: TrainingSet?) {
        let n = data.rowCount
        let held = min(n - 2, Int((fraction * Double(n)).rounded()))
        guard fraction > 0, held >= 1 else { return (data, nil) }
        var generator = SplitMix64(seed: seed)
        var order = Array(0..<n)
        order.shuffle(using: &generator)
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
