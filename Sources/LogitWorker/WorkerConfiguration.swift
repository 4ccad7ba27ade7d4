import LogitCore
import LogitRedis

#if canImport(Glibc)
import Glibc
#endif

/// How a worker takes, keeps and gives back jobs.
public struct WorkerConfiguration: Sendable {
    public var keys: KeySchema
    /// Jobs trained at once by this process.
    public var concurrency: Int
    /// How long the worker's lease lives without a heartbeat; a worker silent this long is presumed dead.
    public var lease: Duration
    /// How often the lease is renewed (a few times per lease).
    public var heartbeat: Duration
    /// How often this worker looks for jobs of dead workers.
    public var reapInterval: Duration
    /// Attempts per job before it ends `failed` ("worker lost N times").
    public var maxAttempts: Int
    /// How often progress (iteration, objective) is written while training.
    public var progressInterval: Duration
    /// On SIGTERM, how long a running job may continue before it is handed back to the queue.
    public var shutdownGrace: Duration
    public var csvLimits: CSVLimits
    /// This process's worker id (unique per process).
    public var workerID: String

    public init(
        keys: KeySchema = KeySchema(), concurrency: Int = 1, lease: Duration = .seconds(5), heartbeat: Duration = .seconds(1),
        reapInterval: Duration = .seconds(2), maxAttempts: Int = 3, progressInterval: Duration = .milliseconds(250),
        shutdownGrace: Duration = .seconds(10),
        csvLimits: CSVLimits = CSVLimits(), workerID: String = WorkerConfiguration.defaultWorkerID()
    ) {
        self.keys = keys
        self.concurrency = concurrency
        self.lease = lease
        self.heartbeat = heartbeat
        self.reapInterval = reapInterval
        self.maxAttempts = maxAttempts
        self.progressInterval = progressInterval
        self.shutdownGrace = shutdownGrace
        self.csvLimits = csvLimits
        self.workerID = workerID
    }

    /// `host-pid-random`: unique per process, readable in `redis-cli`.
    public static func defaultWorkerID() -> String {
        let host = ProcessIdentity.hostname
        return "\(host)-\(ProcessIdentity.pid)-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
    }
}

enum ProcessIdentity {
    static var hostname: String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count)
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "host" : name.filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." }
    }

    static var pid: Int32 { getpid() }
}
