import Foundation
import HTTPTypes
import Hummingbird
import LogitAPI
import LogitCore
import LogitRedis
import LogitTestSupport
import Testing

@testable import LogitServer

@Suite struct OpenAPITests {
    /// The one member of the document these tests read (`SchemaCheck` reads the rest).
    struct Version: Decodable {
        let openapi: String
    }

    @Test func everyServedRouteIsDocumentedAndEveryDocumentedRouteIsServed() async throws {
        let router = buildRouter(configuration: APIConfiguration(), repository: InMemoryBackend())
        let served = Set(
            router.routes.map { route in
                let path = route.path.description
                return "\(route.method.rawValue.lowercased()) \(path.hasPrefix("/") ? path : "/" + path)"
            })
        let documented = Set(OpenAPIDocument.operations.map { "\($0.method) \($0.path)" })
        #expect(served == documented, "served only: \(served.subtracting(documented)); documented only: \(documented.subtracting(served))")
    }

    @Test func theDocumentIsValidOpenAPI31() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("logit-openapi-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(OpenAPIDocument.build().serialized()).write(to: file)
        #expect(try JSONDecoder().decode(Version.self, from: Data(contentsOf: file)).openapi == "3.1.0")
        // openapi-spec-validator (PyPI) when it is installed; the JSON checks above always run.
        let check = try ChildProcess(
            executable: "/usr/bin/env", arguments: ["python3", "-c", "import openapi_spec_validator"], outputPath: "/dev/null", includingErrors: true)
        guard check.waitForExit(upTo: 60) == 0 else { return }
        let log = file.path + ".log"
        defer { try? FileManager.default.removeItem(atPath: log) }
        let validator = try ChildProcess(
            executable: "/usr/bin/env",
            arguments: [
                "python3", "-c", "import json,sys; from openapi_spec_validator import validate; validate(json.load(open(sys.argv[1])))", file.path,
            ],
            outputPath: log, includingErrors: true)
        let code = validator.waitForExit(upTo: 60)
        #expect(code == 0, "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
    }

    @Test func docsAndOpenAPIAreServed() async throws {
        try await TestService.run(worker: false, memory: true) { service in
            let openapi = try await service.request(.get, "/openapi.json")
            #expect(openapi.status == .ok)
            #expect(try service.decode(Version.self, openapi.text).openapi == "3.1.0")
            let docs = try await service.request(.get, "/docs")
            #expect(docs.status == .ok)
            #expect(docs.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(docs.text.contains("POST /models"))
            #expect(!docs.text.contains("http://cdn") && !docs.text.contains("<script"), "works offline")
        }
    }
}

extension OpenAPITests {
    /// The export and Open Inference Protocol routes are in the document and on /docs, with their schemas.
    @Test func theExportAndInferenceProtocolRoutesAreDocumented() async throws {
        let documented = Set(OpenAPIDocument.operations.map { "\($0.method) \($0.path)" })
        let routes = [
            "get \(APIPath.export)", "get \(APIPath.inferenceServer)", "get \(APIPath.inferenceLive)", "get \(APIPath.inferenceReady)",
            "get \(APIPath.inferenceModel)",
            "get \(APIPath.inferenceModelReady)", "post \(APIPath.infer)",
        ]
        for route in routes { #expect(documented.contains(route), "\(route)") }
        let schemas = Set(OpenAPIDocument.schemas.map(\.0))
        for schema in [
            "ModelExport", "InferenceServerMetadata", "InferenceServerLive", "InferenceServerReady", "InferenceModelMetadata", "InferenceModelReady",
            "InferenceResponse",
            "InferenceError",
        ] {
            #expect(schemas.contains(schema), "\(schema)")
        }
        let docs = DocsPage.html()
        for path in [APIPath.export, APIPath.infer, APIPath.inferenceModelReady] { #expect(docs.contains(path), "\(path) on /docs") }
    }
}
