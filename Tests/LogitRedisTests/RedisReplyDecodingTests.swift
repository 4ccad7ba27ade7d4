import CHiredis
import Testing

@testable import LogitRedis

/// Decoding of hiredis replies, from `redisReply` structs built in memory (no server).
@Suite struct RedisReplyDecodingTests {
    /// Builds a C reply; `body` gets it, and everything is freed after.
    func withReply(
        type: Int32, integer: Int64 = 0, text: [UInt8]? = nil, elements: [UnsafeMutablePointer<redisReply>] = [],
        _ body: (UnsafeMutablePointer<redisReply>) -> Void
    ) {
        let reply = UnsafeMutablePointer<redisReply>.allocate(capacity: 1)
        reply.initialize(to: redisReply())
        reply.pointee.type = type
        reply.pointee.integer = integer
        let storage = text.map { bytes -> UnsafeMutablePointer<CChar> in
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: max(bytes.count, 1))
            for (index, byte) in bytes.enumerated() { buffer[index] = CChar(bitPattern: byte) }
            return buffer
        }
        reply.pointee.str = storage
        reply.pointee.len = text?.count ?? 0
        let vector = UnsafeMutablePointer<UnsafeMutablePointer<redisReply>?>.allocate(capacity: max(elements.count, 1))
        for (index, element) in elements.enumerated() { vector[index] = element }
        reply.pointee.element = elements.isEmpty ? nil : vector
        reply.pointee.elements = elements.count
        body(reply)
        storage?.deallocate()
        vector.deallocate()
        reply.deallocate()
    }

    @Test func bulkStringsAreBinarySafe() {
        withReply(type: REDIS_REPLY_STRING, text: [0x61, 0x00, 0xFF]) { reply in
            #expect(RedisConnection.decode(reply) == .string([0x61, 0x00, 0xFF]))
        }
    }

    @Test func statusErrorIntegerAndNil() {
        withReply(type: REDIS_REPLY_STATUS, text: Array("OK".utf8)) { #expect(RedisConnection.decode($0) == .status("OK")) }
        withReply(type: REDIS_REPLY_ERROR, text: Array("ERR bad".utf8)) { #expect(RedisConnection.decode($0) == .error("ERR bad")) }
        withReply(type: REDIS_REPLY_INTEGER, integer: -42) { #expect(RedisConnection.decode($0) == .integer(-42)) }
        withReply(type: REDIS_REPLY_NIL) { #expect(RedisConnection.decode($0) == .null) }
    }

    @Test func nestedArrays() {
        withReply(type: REDIS_REPLY_INTEGER, integer: 7) { seven in
            withReply(type: REDIS_REPLY_STRING, text: Array("x".utf8)) { x in
                withReply(type: REDIS_REPLY_ARRAY, elements: [seven, x]) { array in
                    #expect(RedisConnection.decode(array) == .array([.integer(7), .string(Array("x".utf8))]))
                }
            }
        }
        withReply(type: REDIS_REPLY_ARRAY) { #expect(RedisConnection.decode($0) == .array([])) }
    }

    @Test func convenienceAccessors() {
        #expect(RedisReply.string(Array("12".utf8)).integer == 12)
        #expect(RedisReply.status("PONG").string == "PONG")
        #expect(RedisReply.null.string == nil)
        #expect(RedisReply.array([.null]).array?.count == 1)
    }
}
