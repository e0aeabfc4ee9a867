import CRabbitMQ
import Foundation

/// Small bridges between Swift values and rabbitmq-c's C types. Everything
/// here runs on the thread that owns the connection.
enum RabbitC {
    /// Throws when a synchronous RPC did not end normally, with the broker's reason if it sent one.
    static func check(_ reply: amqp_rpc_reply_t, _ doing: String) throws(AMQPError) {
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL:
            return
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            throw .refused("\(doing): \(String(cString: amqp_error_string2(reply.library_error)))")
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            throw .refused("\(doing): \(serverReason(reply.reply))")
        default:
            throw .refused("\(doing): no reply")
        }
    }

    /// The text of a channel.close or connection.close the broker sent.
    static func serverReason(_ method: amqp_method_t) -> String {
        switch method.id {
        case UInt32(AMQP_CHANNEL_CLOSE_METHOD):
            let close = method.decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
            return "channel closed (\(close.reply_code)): \(string(close.reply_text))"
        case UInt32(AMQP_CONNECTION_CLOSE_METHOD):
            let close = method.decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
            return "connection closed (\(close.reply_code)): \(string(close.reply_text))"
        default:
            return "unexpected method \(method.id)"
        }
    }

    static func string(_ bytes: amqp_bytes_t) -> String {
        guard let pointer = bytes.bytes, bytes.len > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: bytes.len), as: UTF8.self)
    }

    static func array(_ bytes: amqp_bytes_t) -> [UInt8] {
        guard let pointer = bytes.bytes, bytes.len > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: bytes.len))
    }

    /// Runs `body` with C strings for each text, valid for the call only.
    static func withBytes<T>(_ texts: [String], _ body: ([amqp_bytes_t]) throws -> T) rethrows -> T {
        let copies = texts.map { strdup($0)! }
        defer { copies.forEach { free($0) } }
        return try body(copies.map { amqp_cstring_bytes($0) })
    }

    /// Runs `body` with a field table holding `arguments`, valid for the call only.
    static func withTable<T>(_ arguments: [String: AMQPValue], _ body: (amqp_table_t) throws -> T) rethrows -> T {
        let keys = Array(arguments.keys).sorted()
        let strings = keys.compactMap { key -> String? in
            if case .string(let value) = arguments[key]! { return value }
            return nil
        }
        return try withBytes(keys) { keyBytes in
            try withBytes(strings) { stringBytes in
                var nextString = 0
                var entries = keys.enumerated().map { index, key in
                    var value = amqp_field_value_t()
                    switch arguments[key]! {
                    case .int(let number):
                        value.kind = UInt8(AMQP_FIELD_KIND_I32.rawValue)
                        value.value.i32 = number
                    case .long(let number):
                        value.kind = UInt8(AMQP_FIELD_KIND_I64.rawValue)
                        value.value.i64 = number
                    case .bool(let flag):
                        value.kind = UInt8(AMQP_FIELD_KIND_BOOLEAN.rawValue)
                        value.value.boolean = flag ? 1 : 0
                    case .string:
                        value.kind = UInt8(AMQP_FIELD_KIND_UTF8.rawValue)
                        value.value.bytes = stringBytes[nextString]
                        nextString += 1
                    }
                    return amqp_table_entry_t(key: keyBytes[index], value: value)
                }
                return try entries.withUnsafeMutableBufferPointer { buffer in
                    try body(amqp_table_t(num_entries: Int32(buffer.count), entries: buffer.baseAddress))
                }
            }
        }
    }

    /// Opens a TCP connection, logs in and opens channel 1.
    static func open(_ configuration: AMQPConfiguration, heartbeat: Int) throws(AMQPError) -> amqp_connection_state_t {
        guard let state = amqp_new_connection(), let socket = amqp_tcp_socket_new(state) else {
            throw .connectionFailed("could not allocate a connection")
        }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        let opened = amqp_socket_open_noblock(socket, configuration.host, Int32(configuration.port), &timeout)
        guard opened == AMQP_STATUS_OK.rawValue else {
            amqp_destroy_connection(state)
            throw .connectionFailed("\(configuration.host):\(configuration.port): \(String(cString: amqp_error_string2(opened)))")
        }
        let login = kfarm_amqp_login_plain(state, configuration.virtualHost, 0, 131_072, Int32(heartbeat),
                                           configuration.user, configuration.password)
        do {
            try check(login, "login")
            amqp_channel_open(state, 1)
            try check(amqp_get_rpc_reply(state), "channel.open")
        } catch {
            amqp_destroy_connection(state)
            throw .connectionFailed("\(error)")
        }
        return state
    }

    static func close(_ state: amqp_connection_state_t) {
        amqp_channel_close(state, 1, Int32(AMQP_REPLY_SUCCESS))
        amqp_connection_close(state, Int32(AMQP_REPLY_SUCCESS))
        amqp_destroy_connection(state)
    }
}
