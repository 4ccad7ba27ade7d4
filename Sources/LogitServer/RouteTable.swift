import Hummingbird
import Synchronization

/// The routes the API serves, by path pattern: what `405 Method Not Allowed` lists in `Allow`.
///
/// A reference type because the error middleware must be added to the router before the routes (Hummingbird
/// applies middleware only to routes added after it), while the routes fill this table as they are added.
final class RouteTable: Sendable {
    private let routes = Mutex<[(segments: [Substring], methods: [HTTPRequest.Method])]>([])

    func add(_ pattern: String, _ methods: HTTPRequest.Method...) {
        let segments = pattern.split(separator: "/")
        routes.withLock { routes in
            if let index = routes.firstIndex(where: { $0.segments == segments }) {
                routes[index].methods += methods
            } else {
                routes.append((segments, methods))
            }
        }
    }

    /// Every (pattern, method) registered, `:name` segments written `{name}` as in OpenAPI.
    var operations: [(path: String, method: String)] {
        routes.withLock { $0 }.flatMap { route in
            let path = "/" + route.segments.map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
            return route.methods.map { (path: path, method: $0.rawValue.lowercased()) }
        }
    }

    /// The methods a path accepts (a `:name` segment matches anything); empty when no route has that shape.
    func allowedMethods(for path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/")
        let routes = self.routes.withLock { $0 }
        for route in routes where route.segments.count == segments.count {
            if zip(route.segments, segments).allSatisfy({ $0.hasPrefix(":") || $0 == $1 }) {
                return route.methods.contains(.get) ? route.methods + [.head] : route.methods
            }
        }
        return []
    }
}
