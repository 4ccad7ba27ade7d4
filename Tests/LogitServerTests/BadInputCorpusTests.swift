import Foundation
import HTTPTypes
import HummingbirdTesting
import LogitAPI
import LogitCore
import LogitRedis
import LogitTestSupport
import NIOCore
import Testing

/// A corpus of bad requests: each must get its 4xx problem document, with a message naming what and where, and
/// store nothing. On the in-memory store. (Fixture-file cases and parameters are in RejectedRequestTests.)
@Suite struct BadInputCorpusTests {
    struct Case: Sendable, CustomStringConvertible {
        let name: String
        let body: [UInt8]
        var contentType: String? = "text/csv"
        let status: Int
        let detail: String
        var description: String { name }

        init(_ name: String, _ body: String, contentType: String? = "text/csv", _ status: Int, _ detail: String) {
            self.init(name, Array(body.utf8), contentType: contentType, status, detail)
        }

        init(_ name: String, _ body: [UInt8], contentType: String? = "text/csv", _ status: Int, _ detail: String) {
            self.name = name
            self.body = body
            self.contentType = contentType
            self.status = status
            self.detail = detail
        }
    }

    static let training: [Case] = [
        Case("fewer fields", "1,2,a\n3,4\n", 400, "line 2: expected 3 fields like line 1, found 2"),
        Case("more fields", "1,2,a\n3,4,b,5\n", 400, "line 2, field 4: expected 3 fields"),
        Case("invalid UTF-8 label", [0x31, 0x2C, 0xFF, 0xFE, 0x0A, 0x32, 0x2C, 0x62, 0x0A], 400, "line 1, field 2: the label is not valid UTF-8"),
        Case("NUL in label", [0x31, 0x2C, 0x61, 0x00, 0x0A, 0x32, 0x2C, 0x62, 0x0A], 400, "line 1, field 2: the label contains a control character"),
        Case("NUL in feature", [0x31, 0x00, 0x2C, 0x61, 0x0A, 0x32, 0x2C, 0x62, 0x0A], 400, "line 1, field 1: expected a decimal number"),
        // (A header line is accepted since header=auto: CSVFormatTests, RealDataTests.)
        Case("overflow", "1e309,a\n2,b\n", 400, "line 1, field 1: \"1e309\" is too large"),
        Case("negative overflow", "-1e309,a\n2,b\n", 400, "too large"),
        Case("underscore digits", "1_000,a\n2,b\n", 400, "found \"1_000\""),
        Case("hex integer", "0x10,a\n2,b\n", 400, "found \"0x10\""),
        Case("lone plus", "+,a\n2,b\n", 400, "found \"+\""),
        Case("lone minus", "-,a\n2,b\n", 400, "found \"-\""),
        Case("lone dot", ".,a\n2,b\n", 400, "found \".\""),
        Case("dangling exponent", "1e,a\n2,b\n", 400, "found \"1e\""),
        Case("signed dangling exponent", "1e+,a\n2,b\n", 400, "found \"1e+\""),
        Case("two dots", "1.2.3,a\n2,b\n", 400, "found \"1.2.3\""),
        Case("double sign", "--1,a\n2,b\n", 400, "found \"--1\""),
        Case("Infinity", "Infinity,a\n2,b\n", 400, "found \"Infinity\""),
        Case("NaN", "NaN,a\n2,b\n", 400, "found \"NaN\""),
        Case("text after closing quote", "1,2,a\n\"3\"x,4,b\n", 400, "line 2, field 1: unexpected character after a closing quote"),
        Case("quote inside unquoted field", "1,2\"3,a\n4,5,b\n", 400, "line 1, field 2: a quote inside an unquoted field"),
        Case("quoted field never closed", "1,\"2,a\n4,5,b\n", 400, "line 1, field 2: quoted field is never closed"),
        Case("very long number", "1" + String(repeating: "0", count: 400_000) + ",a\n2,b\n", 400, "too large"),
        Case(
            "very long garbage", String(repeating: "x", count: 100_000) + ",a\n2,b\n", 400, "line 1, field 1: expected a decimal number, found \"xxxx"
        ),
        Case("only blank lines", "\n\n   \n\t\n", 400, "the body has no rows"),
        Case("only a BOM", [0xEF, 0xBB, 0xBF], 400, "the body has no rows"),
        Case("tab separated", "1\t2\ta\n3\t4\tb\n", 400, "line 1: a row needs at least 2 fields"),
        Case("semicolon separated", "1;2;a\n3;4;b\n", 400, "line 1: a row needs at least 2 fields"),
        Case("single row", "1,2,a\n", 422, "at least 2 rows"),
        Case("single class", "1,a\n2,a\n3,a\n", 422, "at least 2 distinct labels"),
        Case("blank label", "1,  \n2,b\n", 400, "line 1, field 2: the label (last field) is empty"),
        Case("empty feature", "1,,a\n2,3,b\n", 400, "line 1, field 2: expected a number, found an empty field"),
        Case("trailing commas", "1,2,a,\n3,4,b,\n", 400, "line 1, field 3: expected a decimal number, found \"a\""),
        Case("JSON body", #"{"a": 1, "b": 2}"#, 400, "a quote inside an unquoted field"),
        Case(
            "form content type", "1,a\n2,b\n", contentType: "application/x-www-form-urlencoded", 415, "Please post data in csv format, and make sure"),
        Case("text/csvx", "1,a\n2,b\n", contentType: "text/csvx", 415, "Please post data in csv format, and make sure"),
        Case("text/plain", "1,a\n2,b\n", contentType: "text/plain", 415, "Please post data in csv format, and make sure"),
        Case("no content type", "1,a\n2,b\n", contentType: nil, 415, "Please post data in csv format, and make sure"),
    ]

    @Test(arguments: training)
    func trainingRequest(_ testCase: Case) async throws {
        try await TestService.run(worker: false, memory: true) { service in
            var headers: HTTPFields = [:]
            if let contentType = testCase.contentType { headers[.contentType] = contentType }
            let (status, text) = try await service.client.execute(
                uri: "/models", method: .post, headers: headers, body: ByteBuffer(bytes: testCase.body)
            ) { response in (response.status, String(buffer: response.body)) }
            #expect(status.code == testCase.status, "\(text)")
            let detail = try service.decode(Problem.self, text).detail
            #expect(detail.contains(testCase.detail), "\(detail)")
            #expect(try await service.storedItems() == 0)
        }
    }

    static let prediction: [Case] = [
        Case("too few features", "1,2,3\n", 400, "the model takes 4 features per row, found 3"),
        Case("too many features", "1,2,3,4,5\n", 400, "line 1, field 5: the model takes 4 features per row, found more"),
        Case("label column left in", "5.1,3.5,1.4,0.2,setosa\n", 400, "found more (send features only, no label)"),
        Case("text feature", "5.1,abc,1.4,0.2\n", 400, "line 1, field 2: expected a decimal number"),
        Case("nan feature", "5.1,nan,1.4,0.2\n", 400, "found \"nan\""),
        Case("second row bad", "5.1,3.5,1.4,0.2\n5.1,3.5,1.4\n", 400, "line 2: the model takes 4 features per row, found 3"),
        Case("empty", "", 400, "the body has no rows"),
        Case("no content type", "5.1,3.5,1.4,0.2\n", contentType: nil, 415, "Please post data in csv format."),
        Case("plain text content type", "5.1,3.5,1.4,0.2\n", contentType: "text/plain", 415, "Please post data in csv format."),
        Case("json that is not instances", "5.1,3.5,1.4,0.2\n", contentType: "application/json", 400, "not a prediction request"),
    ]

    @Test func predictionRequests() async throws {
        try await TestService.run(memory: true) { service in
            let id = try await service.train(String(decoding: Fixtures.bytes("iris.csv"), as: UTF8.self))
            try await service.waitForStatus(id, .ready)
            let storedBefore = try await service.storedItems()
            for testCase in Self.prediction {
                for uri in ["/models/\(id)/predict"] {
                    var headers: HTTPFields = [:]
                    if let contentType = testCase.contentType { headers[.contentType] = contentType }
                    let (status, text) = try await service.client.execute(
                        uri: uri, method: .post, headers: headers, body: ByteBuffer(bytes: testCase.body)
                    ) { response in (response.status, String(buffer: response.body)) }
                    #expect(status.code == testCase.status, "\(testCase.name): \(text)")
                    let detail = try service.decode(Problem.self, text).detail
                    #expect(detail.contains(testCase.detail), "\(testCase.name): \(detail)")
                }
            }
            #expect(try await service.storedItems() == storedBefore)
        }
    }

    @Test(arguments: [
        "abc", "00000000-0000-4000-8000-00000000000", "00000000-0000-4000-8000-0000000000000", "%2e%2e", "lr%3Ajobs", "*",
        "00000000-0000-4000-8000-00000000000G",
    ])
    func malformedModelIds(id: String) async throws {
        try await TestService.run(worker: false, memory: true) { service in
            for (method, uri) in [
                (HTTPRequest.Method.get, "/models/\(id)"), (.delete, "/models/\(id)"), (.get, "/check_model_status/\(id)"),
                (.post, "/models/\(id)/predict"),
            ] {
                let response = try await service.request(
                    method, uri, contentType: method == .post ? "text/csv" : nil, body: method == .post ? "1,2,3,4" : nil)
                #expect(response.status == .notFound, "\(method) \(uri)")
            }
            #expect(try await service.storedItems() == 0)
        }
    }
}
