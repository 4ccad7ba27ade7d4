extension Objective {
    /// The fraction of rows whose most probable class is their label.
    func accuracy(_ theta: [Double]) -> Double {
        guard n > 0 else { return 0 }
        let logits = makeLogits()
        self.logits(theta, into: logits)
        let z = logits.values.base
        var correct = 0
        for i in 0..<n {
            let row = z + i * rows
            var best = 0
            var bestLogit = row[0]
            for c in 1..<max(1, rows) where row[c] > bestLogit {
                bestLogit = row[c]
                best = c
            }
            let predicted = rows == 1 ? (bestLogit > 0 ? 1 : 0) : best
            if predicted == Int(labels[i]) { correct += 1 }
        }
        return Double(correct) / Double(n)
    }
}
