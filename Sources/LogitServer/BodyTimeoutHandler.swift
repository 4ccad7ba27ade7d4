import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Closes a connection whose request body arrives too slowly, after answering 408.
///
/// Hummingbird closes connections idle between requests and slow headers, but a body trickled one byte every few
/// seconds held its connection (and its buffer) forever. A body may take `timeout` plus one second per
/// `minimumBytesPerSecond` bytes received so far: a 512 MB upload at 1 MB/s is fine, a trickle is cut after `timeout`.
/// One instance per connection (Hummingbird builds the handlers for each channel).
final class BodyTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    private let timeout: TimeAmount
    private let minimumBytesPerSecond: Int
    private var started: NIODeadline = .now()
    private var received = 0
    private var check: RepeatedTask?
    /// Between a head announcing a body and that body's end.
    private var awaitingBody = false

    init(timeout: Duration, minimumBytesPerSecond: Int) {
        self.timeout = TimeAmount(timeout)
        self.minimumBytesPerSecond = max(1, minimumBytesPerSecond)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request):
            started = .now()
            received = 0
            awaitingBody = request.headerFields[.transferEncoding] != nil || (request.headerFields[.contentLength].map { $0 != "0" } ?? false)
        case .body(let buffer):
            received += buffer.readableBytes
        case .end:
            awaitingBody = false
            stopChecking()
        }
        context.fireChannelRead(data)
    }

    /// The clock starts at the head, but the check is scheduled only when a read ends with the body still incomplete:
    /// a small request arrives whole in one read and costs no timer (scheduling and cancelling one per request was
    /// 2 % of a 1-row prediction in `perf`).
    func channelReadComplete(context: ChannelHandlerContext) {
        if awaitingBody && check == nil { startChecking(context) }
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stopChecking()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stopChecking()
    }

    /// The time the body may have taken so far.
    private var allowance: TimeAmount {
        timeout + .nanoseconds(Int64(Double(received) / Double(minimumBytesPerSecond) * 1e9))
    }

    private func startChecking(_ context: ChannelHandlerContext) {
        stopChecking()
        let period = TimeAmount.milliseconds(min(1000, max(10, timeout.nanoseconds / 4_000_000)))
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        check = context.eventLoop.scheduleRepeatedTask(initialDelay: period, delay: period) { _ in
            let (handler, context) = loopBound.value
            guard NIODeadline.now() - handler.started > handler.allowance else { return }
            handler.stopChecking()
            handler.answerTimeout(context)
        }
    }

    private func stopChecking() {
        check?.cancel()
        check = nil
    }

    private func answerTimeout(_ context: ChannelHandlerContext) {
        let detail =
            #"{"type":"about:blank","title":"Request Timeout","status":408,"detail":"The request body arrived too slowly (LOGIT_BODY_TIMEOUT, LOGIT_MIN_BODY_RATE); the connection is closed."}"#
        var head = HTTPResponse(status: .requestTimeout)
        head.headerFields[.contentType] = "application/problem+json"
        head.headerFields[.contentLength] = String(detail.utf8.count)
        head.headerFields[.connection] = "close"
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(string: detail))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}
