import Foundation
import HTTPTypes
import HummingbirdTesting
import LogitAPI
import LogitCore
import LogitRedis
import LogitServer
import LogitTestSupport
import Testing

/// What a hostile or careless client found at the HTTP edge: slow bodies, malformed chunks, too many large bodies
/// at once, labels that a spreadsheet would run as formulas, and a model deleted while it trains. On the in-memory
/// store, but for the deleted model: that its worker's processing list in Redis is emptied is part of the check.
@Suite struct HTTPHardeningTests {
    @Test func aBodyTrickledSlowerThanTheMinimumRateIsAnswered408AndClosed() async throws {
        try await TestService.run(
            worker: false, live: true, memory: true,
            configure: {
                $0.bodyTimeout = .milliseconds(500); $0.minimumBodyBytesPerSecond = 1000
            }
        ) { service in
            let port = try #require(service.client.port)
            let head = "POST /models HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: 1000\r\n\r\n"
            let started = ContinuousClock.now
            // Never cut, the trickle would go on for 40 s.
            let answer = try await RawHTTP.exchange(port: port, head, trickle: 400, every: .milliseconds(100))
            #expect(answer.hasPrefix("HTTP/1.1 408"), "\(answer)")
            #expect(answer.lowercased().contains("connection: close"))
            #expect(ContinuousClock.now - started < .seconds(20), "cut after about 0.5 s (more on a busy machine), not left open")
        }
    }

    @Test func aMalformedChunkedBodyIsA400() async throws {
        try await TestService.run(worker: false, live: true, memory: true) { service in
            let port = try #require(service.client.port)
            let request = "POST /models HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"
            let answer = try await RawHTTP.exchange(port: port, request)
            #expect(answer.hasPrefix("HTTP/1.1 400"), "\(answer)")
            #expect(answer.contains("application/problem+json"))
            #expect(answer.contains("chunk"))
        }
    }

    @Test func bodiesPastTheInFlightBudgetAre503WithRetryAfter() async throws {
        try await TestService.run(worker: false, memory: true, configure: { $0.maxInFlightBodyBytes = 100 }) { service in
            let body = String(repeating: "1.5,2.5,a\n3.5,4.5,b\n", count: 20)
            let refused = try await service.request(.post, "/models", contentType: "text/csv", body: body)
            #expect(refused.status == .serviceUnavailable)
            #expect(refused.headers[.retryAfter] == "1")
            #expect(try service.decode(Problem.self, refused.text).detail.contains("LOGIT_MAX_INFLIGHT_BODY_BYTES"))
            #expect(try await service.storedItems() == 0)
            // The refused body's bytes were given back: a body within the budget is accepted.
            _ = try await service.train("1,a\n2,b\n3,a\n")
        }
    }

    @Test func csvPredictionsNeutralizeLabelsThatASpreadsheetWouldRun() async throws {
        try await TestService.run(memory: true) { service in
            let id = try await service.train("0,=1+2\n0.1,=1+2\n5,-1\n5.1,-1\n10,@cmd\n10.1,@cmd\n", query: "?C=100")
            try await service.waitForStatus(id, .ready)
            let csv = try await service.request(.post, "/models/\(id)/predict", contentType: "text/csv", accept: "text/csv", body: "0\n5\n10\n")
            let lines = csv.text.split(separator: "\n").map { $0.split(separator: ",").first.map(String.init) ?? "" }
            #expect(csv.text.hasPrefix("label,-1,'=1+2,'@cmd\n"), "\(csv.text)")
            #expect(lines.dropFirst() == ["'=1+2", "-1", "'@cmd"], "numeric labels such as -1 stay as they are")
            let json = try await service.request(.post, "/models/\(id)/predict", contentType: "text/csv", body: "0\n")
            #expect(try service.decode(PredictionResponse.self, json.text).predictions == ["=1+2"], "JSON keeps the label as trained")
        }
    }

    @Test func deletingAModelInTrainingFreesItsWorkerAtOnce() async throws {
        try await TestService.run { service in
            let slow = try await service.train(WorkerFailureTests.data, query: WorkerFailureTests.slowFit)
            try await waitUntil("the slow fit to report progress", timeout: 60) {
                (try await service.redis.send("HGET", .text("lr:model:\(slow)"), "progress_iteration").string).flatMap(Int.init).map { $0 > 0 }
                    ?? false
            }
            #expect(try await service.request(.delete, "/models/\(slow)").status == .noContent)
            let lists = try await service.redis.send("KEYS", "lr:processing:*").array?.compactMap(\.string) ?? []
            for list in lists { #expect(try await service.redis.send("LRANGE", .text(list), 0, -1).array?.isEmpty == true) }
            // The worker stops the deleted fit within a progress period and takes the next job.
            let next = try await service.train("1,a\n2,b\n3,a\n4,b\n")
            try await waitUntil("the next job to be trained", timeout: 5) {
                (try await service.redis.send("HGET", .text("lr:model:\(next)"), "state").string) == "ready"
            }
        }
    }
}

/// A raw HTTP/1.1 exchange over a socket, for what an HTTP client library will not send.
enum RawHTTP {
    /// Sends `request`, then `trickle` single bytes `every` interval (stopping when the server closes), and returns
    /// everything the server wrote until it closed or 10 s passed. Runs on a thread of its own.
    static func exchange(port: Int, _ request: String, trickle: Int = 0, every interval: Duration = .zero) async throws -> String {
        try await onOwnThread {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(port).bigEndian
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { return "connect failed" }
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            _ = Array(request.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            for _ in 0..<trickle {
                var pending = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let milliseconds = Int32(interval.components.seconds * 1000 + interval.components.attoseconds / 1_000_000_000_000_000)
                if poll(&pending, 1, milliseconds) > 0 { break }  // the server answered (and closes): stop sending
                var byte = UInt8(ascii: "1")
                if send(fd, &byte, 1, Int32(MSG_NOSIGNAL)) != 1 { break }
            }
            var answer: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                guard count > 0 else { break }
                answer += buffer[0..<count]
            }
            return String(decoding: answer, as: UTF8.self)
        }
    }
}
