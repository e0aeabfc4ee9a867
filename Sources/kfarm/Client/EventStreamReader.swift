/// One Server-Sent Event.
struct ServerEvent: Equatable {
    var id: String?
    /// `message` unless the event names another type.
    var type: String
    var data: String
}

/// Reads a `text/event-stream` body, chunk by chunk, into events: `id`,
/// `event` and `data` fields, comments (keep-alives) skipped, an empty line
/// ending an event, lines ending in LF or CRLF. (The EventSource package
/// streams through URLSession, which Linux's FoundationNetworking cannot
/// stream, and keeps its parser's events internal; this is that parser's
/// small part the farm's streams need.)
struct EventStreamReader {
    private var line: [UInt8] = []
    private var id: String?
    private var type: String?
    private var data: [String] = []

    mutating func feed(_ bytes: some Sequence<UInt8>) -> [ServerEvent] {
        var events: [ServerEvent] = []
        for byte in bytes {
            guard byte == UInt8(ascii: "\n") else {
                line.append(byte)
                continue
            }
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            if let event = take(String(decoding: line, as: UTF8.self)) { events.append(event) }
            line.removeAll(keepingCapacity: true)
        }
        return events
    }

    /// Applies one line; the event it completes, if any.
    private mutating func take(_ text: String) -> ServerEvent? {
        if text.isEmpty {
            defer { (id, type, data) = (nil, nil, []) }
            guard id != nil || type != nil || !data.isEmpty else { return nil }
            return ServerEvent(id: id, type: type ?? "message", data: data.joined(separator: "\n"))
        }
        guard !text.hasPrefix(":") else { return nil }
        let field = text.prefix { $0 != ":" }
        var value = text.dropFirst(field.count).dropFirst()
        if value.hasPrefix(" ") { value = value.dropFirst() }
        switch field {
        case "id": id = String(value)
        case "event": type = String(value)
        case "data": data.append(String(value))
        default: break
        }
        return nil
    }
}
