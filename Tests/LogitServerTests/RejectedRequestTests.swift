import Foundation
import HTTPTypes
import LogitAPI
import LogitCore
import LogitRedis
import LogitServer
import LogitTestSupport
import Testing

/// Every rejected request answers a 4xx problem document that says what and where, and stores nothing. On the
/// in-memory store: these are the API's checks, made before anything is written.
@Suite struct RejectedRequestTests {
    struct Case: Sendable, CustomStringConvertible {
        let fixture: String
        let status: Int
        let detail: String
        var line: Int? = nil
        var field: Int? = nil
        var description: String { fixture }
    }

    static let malformed: [Case] = [
        Case(fixture: "ragged_row.csv", status: 400, detail: "expected 3 fields like line 1, found 2", line: 3),
        Case(fixture: "text_in_feature.csv", status: 400, detail: "expected a decimal number, found \"x4\"", line: 2, field: 2),
        Case(fixture: "empty.csv", status: 400, detail: "the body has no rows"),
        Case(fixture: "one_class.csv", status: 422, detail: "at least 2 distinct labels"),
        Case(fixture: "one_row.csv", status: 422, detail: "at least 2 rows"),
        Case(fixture: "empty_field.csv", status: 400, detail: "empty field", line: 1, field: 2),
        Case(fixture: "nan.csv", status: 400, detail: "\"nan\"", line: 1, field: 2),
        Case(fixture: "inf.csv", status: 400, detail: "\"inf\"", line: 1, field: 2),
        Case(fixture: "hex_float.csv", status: 400, detail: "\"0x1p3\"", line: 1, field: 2),
        Case(fixture: "unclosed_quote.csv", status: 400, detail: "never closed", line: 1, field: 3),
        Case(fixture: "empty_label.csv", status: 400, detail: "label", line: 2, field: 3),
        Case(fixture: "one_column.csv", status: 400, detail: "at least 2 fields", line: 1),
        Case(fixture: "overflow.csv", status: 400, detail: "finite", line: 1, field: 2),
    ]

    @Test(arguments: malformed)
    func malformedTrainingBodies(_ testCase: Case) async throws {
        try await TestService.run(worker: false, memory: true) { service in
            let body = String(decoding: Fixtures.bytes("malformed/\(testCase.fixture)"), as: UTF8.self)
            let response = try await service.request(.post, "/models", contentType: "text/csv", body: body)
            #expect(response.status.code == testCase.status, "\(response.text)")
            #expect(response.headers[.contentType] == "application/problem+json")
            let problem = try service.decode(Problem.self, response.text)
            #expect(problem.detail.contains(testCase.detail), "\(response.text)")
            #expect(problem.line == testCase.line)
            #expect(problem.field == testCase.field)
            #expect(problem.status == testCase.status)
            #expect(try await service.storedItems() == 0, "nothing is written for a rejected body")
        }
    }

    @Test(arguments: ["quoted_fields.csv", "crlf.csv", "bom.csv", "blank_lines_no_trailing_newline.csv"])
    func wellFormedVariantsAreAccepted(_ fixture: String) async throws {
        try await TestService.run(worker: false, memory: true) { service in
            let body = String(decoding: Fixtures.bytes("wellformed/\(fixture)"), as: UTF8.self)
            let response = try await service.request(.post, "/models", contentType: "text/csv; charset=utf-8", body: body)
            #expect(response.status == .created, "\(response.text)")
        }
    }

    @Test(arguments: [
        ("C=0", "C"), ("C=abc", "C"), ("max_iter=0", "max_iter"), ("max_iter=1.5", "max_iter"), ("tol=-1", "tol"),
        ("penalty=l1", "penalty"), ("learning_rate=nan", "learning_rate"), ("fit_intercept=maybe", "fit_intercept"),
        ("validation_fraction=1", "validation_fraction"), ("seed=-3", "seed"), ("class_weight=heavy", "class_weight"), ("colour=red", "colour"),
        ("solver=lbfgs", "solver"), ("solver=cg&learning_rate=0.1", "solver"),
    ])
    func badQueryParametersAre400NamingTheParameter(query: String, name: String) async throws {
        try await TestService.run(worker: false, memory: true) { service in
            let response = try await service.request(.post, "/models?\(query)", contentType: "text/csv", body: "1,a\n2,b\n")
            #expect(response.status == .badRequest)
            #expect(try service.decode(Problem.self, response.text).parameter == name)
            #expect(try await service.storedItems() == 0)
        }
    }

    @Test func tooLargeBodiesAre413() async throws {
        try await TestService.run(
            worker: false, memory: true,
            configure: {
                $0.maxTrainingBytes = 100; $0.maxPredictionBytes = 10
            }
        ) { service in
            let big = String(repeating: "1,a\n2,b\n", count: 20)
            let response = try await service.request(.post, "/models", contentType: "text/csv", body: big)
            #expect(response.status == .contentTooLarge)
            #expect(
                try service.decode(Problem.self, response.text).detail
                    == "The body is larger than 100 bytes, the limit set by LOGIT_MAX_TRAINING_BYTES.")
            #expect(try await service.storedItems() == 0)
        }
    }

    @Test func tooManyRowsIs413() async throws {
        try await TestService.run(worker: false, memory: true, configure: { $0.csvLimits.maxRows = 3 }) { service in
            let response = try await service.request(.post, "/models", contentType: "text/csv", body: "1,a\n2,b\n3,a\n4,b\n")
            #expect(response.status == .contentTooLarge)
            #expect(try await service.storedItems() == 0)
        }
    }

    @Test func unknownRoutesAre404AndWrongMethods405WithAllow() async throws {
        try await TestService.run(worker: false, memory: true) { service in
            let unknown = try await service.request(.get, "/nope")
            #expect(unknown.status == .notFound)
            #expect(unknown.headers[.contentType] == "application/problem+json")
            let wrongMethod = try await service.request(.put, "/models")
            #expect(wrongMethod.status == .methodNotAllowed)
            #expect(wrongMethod.headers[.allow]?.contains("POST") == true)
            let wrongOnId = try await service.request(.patch, "/models/00000000-0000-4000-8000-000000000000")
            #expect(wrongOnId.status == .methodNotAllowed)
            #expect(wrongOnId.headers[.allow]?.contains("DELETE") == true)
        }
    }
}
