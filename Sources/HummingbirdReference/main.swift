// hummingbird-reference: a bare Hummingbird app with one trivial route, the ceiling our API is measured against
// (scripts/bench_serving.py runs it beside `logit serve` in the same run).
//
//     swift build -c release --product hummingbird-reference && .build/release/hummingbird-reference PORT
//
// `GET /alive` answers the same constant JSON as our `/alive`, with no middleware, no metrics and no logging.
import Hummingbird
import Logging

let port = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 8080
let router = Router()
router.get("/alive") { _, _ in
    Response(
        status: .ok, headers: [.contentType: "application/json"],
        body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"message":"Server is alive!"}"#)))
}
var logger = Logger(label: "hummingbird-reference")
logger.logLevel = .warning
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
try await app.runService()
