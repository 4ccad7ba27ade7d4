import LogitCore
import LogitTestSupport
import Testing

/// Fits of iris and wine pinned to the bit: the objective (`Double.bitPattern`), the iterations and a hash of every
/// coefficient's bits, recorded before the trainer was restructured into solver states (the restructuring kept them
/// all). A change here means the arithmetic changed (order of sums, a kernel, the stopping test), not necessarily
/// that it got worse: if it is intended, re-record the table and say why in the commit.
///
/// Only with the AVX2+FMA kernels on x86-64 Linux: other kernels round differently (`KernelSet`), and `log` /
/// `log1p` come from the platform's C library.
@Suite struct BitForBitFitTests {
    struct Expected: CustomStringConvertible, Sendable {
        let dataset: String
        let solver: TrainingParameters.Solver
        let variant: String
        let objectiveBits: UInt64
        let iterations: Int
        let stopReason: TrainingSummary.StopReason
        let coefficientHash: UInt64
        var description: String { "\(dataset) \(solver) \(variant)" }
    }

    static let expected: [Expected] = [
        Expected(
            dataset: "iris.csv", solver: .cg, variant: "default", objectiveBits: 0x3fca_c6cb_e8e5_733f, iterations: 34,
            stopReason: .gradientTolerance, coefficientHash: 0x8bea_81d8_8a66_5065),
        Expected(
            dataset: "iris.csv", solver: .cg, variant: "penalty=none", objectiveBits: 0x3fa4_4e8e_c63b_23fb, iterations: 368,
            stopReason: .gradientTolerance, coefficientHash: 0xca41_0935_11d3_51e4),
        Expected(
            dataset: "iris.csv", solver: .cg, variant: "balanced", objectiveBits: 0x3fca_c6cb_e8e5_7343, iterations: 34,
            stopReason: .gradientTolerance, coefficientHash: 0x8bea_81d8_8a66_5065),
        Expected(
            dataset: "iris.csv", solver: .fista, variant: "default", objectiveBits: 0x3fca_c6cb_e8e5_7b44, iterations: 80,
            stopReason: .gradientTolerance, coefficientHash: 0x1555_cdde_5deb_b05c),
        Expected(
            dataset: "iris.csv", solver: .fista, variant: "penalty=none", objectiveBits: 0x3fa4_4e8f_e68c_e654, iterations: 2291,
            stopReason: .gradientTolerance, coefficientHash: 0x63bd_5cf7_b1e1_d8fe),
        Expected(
            dataset: "iris.csv", solver: .fista, variant: "balanced", objectiveBits: 0x3fca_c6cb_e8e5_7b46, iterations: 80,
            stopReason: .gradientTolerance, coefficientHash: 0x1555_cdde_5deb_b05c),
        Expected(
            dataset: "wine.csv", solver: .cg, variant: "default", objectiveBits: 0x3fb1_636a_c79b_de52, iterations: 50,
            stopReason: .gradientTolerance, coefficientHash: 0x6740_2b8c_4ca3_b1bc),
        Expected(
            dataset: "wine.csv", solver: .cg, variant: "penalty=none", objectiveBits: 0x3c47_02e0_5c0b_816f, iterations: 82, stopReason: .noProgress,
            coefficientHash: 0xa5e2_fcae_32c4_f4ba),
        Expected(
            dataset: "wine.csv", solver: .cg, variant: "balanced", objectiveBits: 0x3fb1_256d_5c69_8a6f, iterations: 50,
            stopReason: .gradientTolerance, coefficientHash: 0x68aa_988a_7cb6_2945),
        Expected(
            dataset: "wine.csv", solver: .fista, variant: "default", objectiveBits: 0x3fb1_636a_c79b_e022, iterations: 75,
            stopReason: .gradientTolerance, coefficientHash: 0x9a41_e558_1115_2275),
        Expected(
            dataset: "wine.csv", solver: .fista, variant: "penalty=none", objectiveBits: 0x3c37_02e0_5c0b_816f, iterations: 104,
            stopReason: .noProgress, coefficientHash: 0xa615_7112_c67e_c240),
        Expected(
            dataset: "wine.csv", solver: .fista, variant: "balanced", objectiveBits: 0x3fb1_256d_5c69_8d00, iterations: 89,
            stopReason: .gradientTolerance, coefficientHash: 0xcc7a_c8df_a39d_f94b),
    ]

    static var pinnedPlatform: Bool {
        #if os(Linux) && arch(x86_64)
        KernelSet.available.contains(.avx2)
        #else
        false
        #endif
    }

    /// FNV-1a over the bit patterns of the weights, then the intercepts.
    static func hash(_ model: LogisticModel) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for value in model.weights + model.intercepts { hash = (hash ^ value.bitPattern) &* 0x0000_0100_0000_01b3 }
        return hash
    }

    @Test(.enabled(if: pinnedPlatform), arguments: expected)
    func fitIsTheRecordedOneBitForBit(expected: Expected) throws {
        var parameters = TrainingParameters()
        parameters.solver = expected.solver
        switch expected.variant {
        case "penalty=none": parameters.penalty = .none
        case "balanced": parameters.classWeight = .balanced
        default: break
        }
        let set = try TrainingSet.parse(Fixtures.bytes(expected.dataset))
        let (model, summary) = try Trainer.fit(set, parameters: parameters, kernels: .avx2)
        #expect(
            summary.objective.bitPattern == expected.objectiveBits,
            "objective \(summary.objective) = 0x\(String(summary.objective.bitPattern, radix: 16))")
        #expect(summary.nIter == expected.iterations)
        #expect(summary.stopReason == expected.stopReason)
        #expect(Self.hash(model) == expected.coefficientHash, "coefficients hash 0x\(String(Self.hash(model), radix: 16))")
    }
}
