import Hummingbird
import LogitAPI
import LogitRedis
import NIOCore

/// What describes the running API: Prometheus metrics, the OpenAPI document and the documentation page.
struct DocumentationController: Sendable {
    let metrics: APIMetrics
    let repository: any ModelRepository

    var routes: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        let openAPI = ByteBuffer(bytes: OpenAPIDocument.build().serialized())
        let docs = ByteBuffer(string: DocsPage.html())
        routes.get(RouterPath(APIPath.metrics)) { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: await metrics.exposition(repository: repository))))
        }
        routes.get(RouterPath(APIPath.openAPI)) { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: openAPI))
        }
        routes.get(RouterPath(APIPath.docs)) { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: ResponseBody(byteBuffer: docs))
        }
        return routes
    }
}
