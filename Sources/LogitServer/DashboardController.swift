import Foundation
import HTTPTypes
import Hummingbird
import LogitAPI
import NIOCore

/// The dashboard at `/` and `/ui`: a page, a style sheet and a script from `Sources/LogitServer/Dashboard/`, plain
/// files with no build step, compiled into the binary by SwiftPM (`embedInCode`). The page talks to the API with
/// `fetch`; the paths it calls are written into it from `APIPath` (`pagePaths`), so they are defined once.
///
/// Caching: every answer carries a strong `ETag` (a hash of its bytes) and `Cache-Control: no-cache`, so a browser
/// revalidates each time and gets `304 Not Modified` (no body) while the bytes are the same; a new binary with a
/// changed file is picked up at once.
struct DashboardController: Sendable {
    /// One file of the dashboard, ready to send.
    struct Asset: Sendable {
        let paths: [String]
        let contentType: String
        /// For the OpenAPI document.
        let summary: String
        let body: ByteBuffer
        let etag: String

        init(paths: [String], contentType: String, summary: String, bytes: [UInt8]) {
            self.paths = paths
            self.contentType = contentType
            self.summary = summary
            self.body = ByteBuffer(bytes: bytes)
            self.etag = "\"\(DashboardController.fingerprint(bytes))\""
        }
    }

    /// Where the page's `<script id="api-paths">` gets the API's paths.
    static let pathsMarker = "{\"api-paths\":\"filled in by DashboardController\"}"

    /// The paths the page calls, by the names its script uses.
    static var pagePaths: [String: String] {
        [
            "models": APIPath.models, "model": APIPath.model, "predict": APIPath.predict, "export": APIPath.export,
            "checkStatus": APIPath.checkStatus, "openAPI": APIPath.openAPI, "docs": APIPath.docs,
        ]
    }

    static let assets: [Asset] = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let paths = (try? encoder.encode(pagePaths)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        let page = String(decoding: PackageResources.index_html, as: UTF8.self).replacingOccurrences(of: pathsMarker, with: paths)
        return [
            Asset(
                paths: [APIPath.dashboard, APIPath.ui], contentType: "text/html; charset=utf-8",
                summary: "The dashboard: models, live training, curves, metrics, coefficients, predictions", bytes: Array(page.utf8)),
            Asset(
                paths: [APIPath.uiStyle], contentType: "text/css; charset=utf-8", summary: "The dashboard's style sheet",
                bytes: PackageResources.app_css),
            Asset(
                paths: [APIPath.uiScript], contentType: "text/javascript; charset=utf-8", summary: "The dashboard's script",
                bytes: PackageResources.app_js),
        ]
    }()

    var routes: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        for asset in Self.assets {
            for path in asset.paths {
                routes.get(RouterPath(path)) { request, _ in Self.answer(asset, to: request) }
            }
        }
        return routes
    }

    static func answer(_ asset: Asset, to request: Request) -> Response {
        var headers: HTTPFields = [.eTag: asset.etag, .cacheControl: "no-cache"]
        if let condition = request.headers[.ifNoneMatch], matches(condition, etag: asset.etag) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = asset.contentType
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: asset.body))
    }

    /// RFC 9110 `If-None-Match`: `*`, or a list of entity tags compared weakly (a `W/` prefix is ignored).
    static func matches(_ condition: String, etag: String) -> Bool {
        condition.split(separator: ",").contains { candidate in
            let tag = candidate.trimmingCharacters(in: .whitespaces)
            return tag == "*" || (tag.hasPrefix("W/") ? String(tag.dropFirst(2)) : tag) == etag
        }
    }

    /// 64-bit FNV-1a of the bytes, in hex: stable across builds and processes, so every replica answers the same tag.
    static func fingerprint(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The dashboard's entries in the OpenAPI document, one per path.
    static var openAPIPaths: [(String, JSONValue)] {
        assets.flatMap { asset in
            asset.paths.map { path in
                let type = String(asset.contentType.prefix { $0 != ";" })
                let etag: JSONValue = .object([
                    ("description", "A hash of the bytes; send it back in If-None-Match."), ("schema", .object([("type", "string")])),
                ])
                return (
                    path,
                    .object([
                        (
                            "get",
                            OpenAPIDocument.operation(
                                asset.summary,
                                "Served from the binary, with no network access. Cache-Control: no-cache; revalidate with If-None-Match.",
                                parameters: [
                                    .object([
                                        ("name", "If-None-Match"), ("in", "header"),
                                        ("description", "An ETag of an earlier answer: 304 with no body while the file is the same."),
                                        ("schema", .object([("type", "string")])),
                                    ])
                                ],
                                responses: [
                                    (
                                        "200",
                                        .object([
                                            ("description", .string(type)), ("headers", .object([("ETag", etag)])),
                                            ("content", .object([(type, .object([("schema", .object([("type", "string")]))]))])),
                                        ])
                                    ),
                                    (
                                        "304",
                                        .object([("description", "Not Modified: the ETag still matches."), ("headers", .object([("ETag", etag)]))])
                                    ),
                                ])
                        )
                    ])
                )
            }
        }
    }
}
