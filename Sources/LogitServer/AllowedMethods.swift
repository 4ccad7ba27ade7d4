import Hummingbird
import Synchronization

/// The methods each path accepts, read from the router's own routes once they are all added: what a 405 lists in
/// `Allow`.
///
/// A reference filled after the fact because the error middleware must be added to the router before the routes
/// (Hummingbird applies middleware only to routes added after it), while the routes are known only after.
final class AllowedMethods: Sendable {
    private let routes = Mutex<[(segments: [Substring], methods: [HTTPRequest.Method])]>([])

    /// Takes every route of `router` (`{id}` segments match anything). GET routes accept HEAD too (the router
    /// answers it from the GET handler).
    func load(from router: Router<some RequestContext>) {
        var table: [(segments: [Substring], methods: [HTTPRequest.Method])] = []
        for route in router.routes {
            let segments = route.path.description.split(separator: "/")
            if let index = table.firstIndex(where: { $0.segments == segments }) {
                table[index].methods.append(route.method)
            } else {
                table.append((segments, [route.method]))
            }
        }
        for index in table.indices where table[index].methods.contains(.get) && !table[index].methods.contains(.head) {
            table[index].methods.append(.head)
        }
        routes.withLock { $0 = table }
    }

    /// The methods a path accepts; empty when no route has that shape.
    func methods(for path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/")
        return routes.withLock { routes in
            routes.first { route in
                route.segments.count == segments.count && zip(route.segments, segments).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
            }?.methods ?? []
        }
    }
}
