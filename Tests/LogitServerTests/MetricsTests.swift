import Foundation
import HTTPTypes
import LogitCore
import LogitTestSupport
import Testing

@testable import LogitServer

/// On the in-memory store: `logit_redis_up` reports whether the store answered, which it always does here.
@Suite struct MetricsTests {
    @Test func metricsCountRequestsAndJobsInPrometheusFormat() async throws {
        try await TestService.run(memory: true) { service in
            let id = try await service.train(String(decoding: Fixtures.bytes("iris.csv"), as: UTF8.self))
            try await service.waitForStatus(id, .ready)
            _ = try await service.request(.get, "/models/\(id)", contentType: "text/plain", body: "1")  // a 415
            try await waitUntil("the worker to count the job") {
                try await service.request(.get, "/metrics").text.contains("logit_jobs_total{outcome=\"ready\"} 1")
            }
            let response = try await service.request(.get, "/metrics")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
            let lines = response.text.split(separator: "\n")
            func line(_ parts: String...) -> Bool { lines.contains { line in parts.allSatisfy { line.contains($0) } } }
            #expect(line("logit_http_requests_total", "route=\"/models\"", "method=\"POST\"", "status=\"201\""))
            #expect(line("logit_http_requests_total", "route=\"/models/{id}\"", "status=\"415\""))
            #expect(line("logit_http_request_duration_seconds_bucket", "route=\"/check_model_status/{id}\""))
            #expect(line("logit_queue_length 0"))
            #expect(line("logit_redis_up 1"))
            #expect(line("logit_training_seconds_total"))
        }
    }
}

@Suite struct JSONValueTests {
    @Test func stringsAreEscapedAndNumbersRoundTrip() throws {
        let value: JSONValue = .object([("a\"b", .string("line\nbreak\u{01}\\")), ("n", .number(0.1)), ("i", .number(3)), ("raw", .raw("[1]"))])
        let text = String(decoding: value.serialized(), as: UTF8.self)
        #expect(text == #"{"a\"b":"line\nbreak\u0001\\","n":0.1,"i":3,"raw":[1]}"#)
        #expect(try JSONDecoder().decode(Escaped.self, from: Data(text.utf8)).member == "line\nbreak\u{01}\\")
    }

    /// The escaped member, read back by Foundation's parser.
    struct Escaped: Decodable {
        let member: String

        enum CodingKeys: String, CodingKey { case member = "a\"b" }
    }
}
