import Hummingbird
import LogitRedis
import Prometheus
import Synchronization

/// The API's Prometheus metrics: requests by route, method and status, and latency by route (this process), plus
/// the deployment-wide queue length and job outcomes read from Redis at scrape time.
public final class APIMetrics: Sendable {
    let registry: PrometheusCollectorRegistry

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    static let latencyBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5), .milliseconds(5),
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
    ]

    // Computed: `MetricNameDescriptor` is not Sendable, so it cannot be a stored static.
    static var requests: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "logit", subsystem: "http", metricName: "requests", unitName: "total",
            helpText: "HTTP requests answered, by route pattern, method and status.")
    }
    static var latency: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "logit", subsystem: "http", metricName: "request_duration", unitName: "seconds",
            helpText: "HTTP request latency, by route pattern.")
    }

    private struct RequestKind: Hashable {
        let route: String
        let method: String
        let status: Int
    }

    /// The counter and histogram of each kind of request, looked up once: asking the registry per request built and
    /// validated the metric's name and labels each time (Prometheus's `fixHelpText`, `isValidMetricName` and string
    /// joins were the largest items of `/alive` in `perf` after the runtime's retain/release).
    private let recorders = Mutex<[RequestKind: (requests: Counter, latency: DurationHistogram)]>([:])

    func record(route: String, method: String, status: Int, duration: Duration) {
        let kind = RequestKind(route: route, method: method, status: status)
        let recorder =
            recorders.withLock { $0[kind] }
            ?? {
                let made = (
                    requests: registry.makeCounter(
                        descriptor: Self.requests, labels: [("route", route), ("method", method), ("status", String(status))]),
                    latency: registry.makeDurationHistogram(descriptor: Self.latency, labels: [("route", route)], buckets: Self.latencyBuckets)
                )
                recorders.withLock { $0[kind] = made }
                return made
            }()
        recorder.requests.increment()
        recorder.latency.record(duration)
    }

    /// The text exposition: this process's metrics, then the deployment's from the store.
    func exposition(repository: any ModelRepository) async -> String {
        var text = registry.emitToString()
        let counters = try? await repository.counters()
        text += "# HELP logit_redis_up Whether Redis answered this scrape.\n# TYPE logit_redis_up gauge\n"
        guard let counters else { return text + "logit_redis_up 0\n" }
        text += "logit_redis_up 1\n"
        text += "# HELP logit_queue_length Jobs waiting for a worker.\n# TYPE logit_queue_length gauge\nlogit_queue_length \(counters.queued)\n"
        text += "# HELP logit_jobs_total Jobs settled by all workers, by outcome (reclaimed: returned after a worker was lost).\n"
        text += "# TYPE logit_jobs_total counter\n"
        for outcome in [StatsField.ready, .failed, .reclaimed] {
            text += "logit_jobs_total{outcome=\"\(outcome.rawValue)\"} \(Self.number(counters.stats[outcome]))\n"
        }
        text += "# HELP logit_training_seconds_total Seconds spent fitting models that ended ready or failed.\n"
        text += "# TYPE logit_training_seconds_total counter\nlogit_training_seconds_total \(Self.number(counters.stats[.trainingSeconds]))\n"
        return text
    }

    /// A counter as Prometheus text: whole numbers without a fraction.
    static func number(_ value: Double?) -> String {
        guard let value else { return "0" }
        return value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}

/// Records every request in `APIMetrics`, errors included (by the status they will be answered with).
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: APIMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let route = context.endpointPath ?? "unmatched"
        do {
            let response = try await next(request, context)
            metrics.record(route: route, method: request.method.rawValue, status: response.status.code, duration: .now - started)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.record(route: route, method: request.method.rawValue, status: status, duration: .now - started)
            throw error
        }
    }
}
