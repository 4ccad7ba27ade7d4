// logit-bench: times the numeric core on one CSV file (label last): parse, one gradient pass, full fit.
//
//     swift build -c release --product logit-bench && .build/release/logit-bench FILE [--repetitions N] [--tol T] [--solver cg|fista] [--kernels baseline|avx2] [--parse-only] [--json]
//
// --kernels baseline|avx2 picks the compiled kernels (default: the best this CPU runs); --parse-only stops after the
// parse.
// Prints medians of N repetitions (default 5). With --json, one JSON object on the last line (for
// scripts/bench_vs_sklearn.py). Argument handling is deliberately minimal: this target depends only on LogitCore.
import Foundation
import LogitCore

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

var arguments = Array(CommandLine.arguments.dropFirst())
var repetitions = 5
var json = false
var tol: Double? = nil
if let index = arguments.firstIndex(of: "--repetitions"), index + 1 < arguments.count, let value = Int(arguments[index + 1]), value > 0 {
    repetitions = value
    arguments.removeSubrange(index...(index + 1))
}
if let index = arguments.firstIndex(of: "--tol"), index + 1 < arguments.count, let value = Double(arguments[index + 1]), value > 0 {
    tol = value
    arguments.removeSubrange(index...(index + 1))
}
var solver: TrainingParameters.Solver? = nil
if let index = arguments.firstIndex(of: "--solver"), index + 1 < arguments.count,
    let value = TrainingParameters.Solver(rawValue: arguments[index + 1])
{
    solver = value
    arguments.removeSubrange(index...(index + 1))
}
var kernels = KernelSet.best
if let index = arguments.firstIndex(of: "--kernels"), index + 1 < arguments.count {
    guard let value = KernelSet(rawValue: arguments[index + 1]), KernelSet.available.contains(value) else {
        FileHandle.standardError.write(Data("--kernels: this CPU runs \(KernelSet.available.map(\.rawValue))\n".utf8))
        exit(2)
    }
    kernels = value
    arguments.removeSubrange(index...(index + 1))
}
var parseOnly = false
if let index = arguments.firstIndex(of: "--parse-only") {
    parseOnly = true
    arguments.remove(at: index)
}
if let index = arguments.firstIndex(of: "--json") {
    json = true
    arguments.remove(at: index)
}
guard arguments.count == 1, let data = FileManager.default.contents(atPath: arguments[0]) else {
    FileHandle.standardError.write(
        Data("usage: logit-bench FILE.csv [--repetitions N] [--tol T] [--solver cg|fista] [--kernels baseline|avx2] [--json]\n".utf8))
    exit(2)
}
let bytes = [UInt8](data)
let clock = ContinuousClock()

// Parse.
/// The process's peak resident memory so far, in bytes (Linux reports kilobytes).
func peakResidentBytes() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss * 1024
}

var parseTimes: [Double] = []
var parsed: TrainingSet? = nil
let peakBeforeParse = peakResidentBytes()
var parsePeakGrowth = 0
for _ in 0..<repetitions {
    let start = clock.now
    do { parsed = try TrainingSet.parse(bytes) } catch {
        FileHandle.standardError.write(Data("\(arguments[0]): \(error)\n".utf8))
        exit(1)
    }
    parseTimes.append((clock.now - start) / .seconds(1))
    // The first parse alone: later ones run while the previous result is still alive.
    if parseTimes.count == 1 { parsePeakGrowth = peakResidentBytes() - peakBeforeParse }
}
let set = parsed!
let parseSeconds = median(parseTimes)
let megabytes = Double(bytes.count) / 1e6
print(String(format: "data      %d rows × %d features × %d classes, %.1f MB of CSV", set.rowCount, set.featureCount, set.classes.count, megabytes))
let matrixMegabytes = Double(set.features.count * MemoryLayout<Double>.stride) / 1e6
print(
    String(
        format: "parse     %.4f s  %.0f MB/s; peak memory +%.1f MB for a %.1f MB matrix (%.2f×)", parseSeconds, megabytes / parseSeconds,
        Double(parsePeakGrowth) / 1e6, matrixMegabytes, Double(parsePeakGrowth) / 1e6 / matrixMegabytes))

if parseOnly { exit(0) }

// One pass of each kernel.
let timing = TrainerBenchmark.passes(set, repetitions: max(repetitions, 20), kernels: kernels)
let forwardSeconds = median(timing.forwardPass)
let gradientSeconds = median(timing.gradientPass)
let lossSeconds = median(timing.lossOnly)
let bandwidth = 28e9  // bytes/s, one core's read bandwidth on the reference machine (docs/PERFORMANCE.md)
print(String(format: "forward   %.3f ms per pass (%.1f GB/s of matrix)", forwardSeconds * 1e3, Double(timing.matrixBytes) / forwardSeconds / 1e9))
print(
    String(
        format: "gradient  %.3f ms per pass (%.1f GB/s of matrix)   trial loss (no pass) %.3f ms", gradientSeconds * 1e3,
        Double(timing.matrixBytes) / gradientSeconds / 1e9, lossSeconds * 1e3))

// Full fit.
var parameters = TrainingParameters()
if let tol { parameters.tol = tol }
if let solver { parameters.solver = solver }
var fitTimes: [Double] = []
var summary: TrainingSummary? = nil
for _ in 0..<repetitions {
    // The worker hands the parsed set over (consumed): give the fit its own copy, made before the clock starts.
    var own = set
    own.features.withUnsafeMutableBufferPointer { _ in }
    let start = clock.now
    do { summary = try Trainer.fit(consume own, parameters: parameters, kernels: kernels).summary } catch {
        FileHandle.standardError.write(Data("fit failed: \(error)\n".utf8))
        exit(1)
    }
    fitTimes.append((clock.now - start) / .seconds(1))
}
let result = summary!
let fitSeconds = median(fitTimes)
let passes = result.dataPasses ?? 0
let limit = Double(passes) * Double(timing.matrixBytes) / bandwidth
print("solver    \(parameters.solver.rawValue), kernels \(kernels.rawValue)")
print(
    String(
        format: "fit       %.4f s  %d iterations, %d passes, objective %.15g, converged %@", fitSeconds, result.nIter, passes,
        result.objective, result.converged ? "true" : "false"))
print(
    String(
        format: "limit     %.4f s at 28 GB/s for %d passes over %.1f MB: %.1f× the physical limit", limit, passes,
        Double(timing.matrixBytes) / 1e6, fitSeconds / limit))
if json {
    let object: [String: Any] = [
        "rows": set.rowCount, "features": set.featureCount, "classes": set.classes.count, "csv_bytes": bytes.count,
        "parse_seconds": parseSeconds, "parse_peak_growth_bytes": parsePeakGrowth, "forward_pass_seconds": forwardSeconds,
        "gradient_pass_seconds": gradientSeconds, "trial_loss_seconds": lossSeconds,
        "fit_seconds": fitSeconds, "n_iter": result.nIter, "passes": passes, "objective": result.objective,
        "converged": result.converged, "solver": parameters.solver.rawValue, "kernels": kernels.rawValue, "matrix_bytes": timing.matrixBytes,
        "limit_seconds": limit,
    ]
    let encoded = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    print(String(decoding: encoded, as: UTF8.self))
}
