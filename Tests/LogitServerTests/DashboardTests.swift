import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LogitAPI
import NIOCore
import Testing

@testable import LogitServer

/// The dashboard's files over HTTP: served from the binary, with ETags; the page loads only what the server serves
/// and calls the API at the paths `APIPath` defines. (`scripts/dashboard_check.py` drives the page in chromium.)
@Suite struct DashboardTests {
    static let assetPaths = [APIPath.dashboard, APIPath.ui, APIPath.uiStyle, APIPath.uiScript]

    @Test func everyFileIsServedWithAnETagAndA304WhileItMatches() async throws {
        try await TestService.run(worker: false, memory: true) { service in
            for path in Self.assetPaths {
                let (etag, body) = try await service.client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .ok, "\(path)")
                    #expect(response.headers[.cacheControl] == "no-cache", "\(path)")
                    return (response.headers[.eTag], response.body)
                }
                let tag = try #require(etag, "\(path) has no ETag")
                #expect(body.readableBytes > 100, "\(path)")
                for condition in [tag, "W/\(tag)", "\"other\", \(tag)", "*"] {
                    try await service.client.execute(uri: path, method: .get, headers: [.ifNoneMatch: condition]) { response in
                        #expect(response.status == .notModified, "\(path) with If-None-Match: \(condition)")
                        #expect(response.headers[.eTag] == tag)
                        #expect(response.body.readableBytes == 0)
                    }
                }
                try await service.client.execute(uri: path, method: .get, headers: [.ifNoneMatch: "\"stale\""]) { response in
                    #expect(response.status == .ok, "\(path) with a stale ETag")
                }
            }
        }
    }

    @Test func slashAndUIAreTheSamePage() async throws {
        try await TestService.run(worker: false, memory: true) { service in
            let root = try await service.client.execute(uri: APIPath.dashboard, method: .get) { String(buffer: $0.body) }
            let ui = try await service.client.execute(uri: APIPath.ui, method: .get) { String(buffer: $0.body) }
            #expect(root == ui)
            #expect(root.hasPrefix("<!doctype html>"))
        }
    }

    /// The page links only the files the server serves (so no 404 reaches the browser's console), and its
    /// `api-paths` are `APIPath`'s, written in by the server.
    @Test func thePageLoadsWhatTheServerServesAndCallsAPIPathsPaths() throws {
        let page = try #require(DashboardController.assets.first { $0.paths.contains(APIPath.dashboard) })
        let html = String(buffer: page.body)
        let linked = html.matches(of: /(?:href|src)="(\/[^"]*)"/).map { String($0.output.1) }
        let served = Set(DashboardController.assets.flatMap(\.paths))
        #expect(!linked.isEmpty)
        for path in linked where path != APIPath.docs { #expect(served.contains(path), "the page links \(path), which is not served") }
        #expect(!html.contains(DashboardController.pathsMarker))
        let json = try #require(html.firstMatch(of: /<script type="application\/json" id="api-paths">([^<]*)<\/script>/)?.output.1)
        let paths = try JSONDecoder().decode([String: String].self, from: Data(json.utf8))
        #expect(paths == DashboardController.pagePaths)
        #expect(paths["models"] == APIPath.models)
    }

    @Test func theETagIsAStableHashOfTheBytes() {
        #expect(DashboardController.fingerprint(Array("".utf8)) == "cbf29ce484222325")
        #expect(DashboardController.fingerprint(Array("a".utf8)) == "af63dc4c8601ec8c")
        #expect(!DashboardController.matches("\"x\"", etag: "\"y\""))
    }
}
