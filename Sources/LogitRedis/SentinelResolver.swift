/// Asks Redis Sentinels which server is the primary, as the Sentinel client guidelines describe: try each Sentinel
/// in turn with `SENTINEL get-master-addr-by-name`, and take the first answer. (`RedisClient` then checks with
/// `ROLE` that the address really is a primary before it uses it.)
struct SentinelResolver {
    let configuration: RedisConfiguration

    func primary() throws(RedisError) -> RedisConfiguration.Endpoint {
        guard let name = configuration.masterName else { throw .invalidConfiguration("Sentinel needs the primary's name") }
        var failures: [String] = []
        for sentinel in configuration.sentinels {
            do {
                let connection = try RedisConnection(
                    RedisConfiguration(
                        endpoint: sentinel, password: configuration.sentinelPassword,
                        connectTimeout: min(configuration.connectTimeout, .milliseconds(500)), commandTimeout: .seconds(1)))
                let reply = try connection.command(["SENTINEL", "get-master-addr-by-name", .text(name)])
                guard let address = reply.array, address.count == 2, let host = address[0].string,
                    let port = address[1].string.flatMap(Int.init)
                else {
                    failures.append("\(sentinel): no primary named \(name)")
                    continue
                }
                return .tcp(host: host, port: port)
            } catch {
                failures.append("\(sentinel): \(error.message)")
            }
        }
        throw .connectionFailed("no Sentinel named the primary \(name): \(failures.joined(separator: "; "))")
    }
}
