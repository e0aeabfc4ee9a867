import FarmModel
import FarmStore
import Foundation
import Hummingbird

/// A build's log as Server-Sent Events (`GET /builds/{id}/events`):
/// every line is an event whose id is its line number (resume with
/// `after` or `Last-Event-ID`), sent as soon as the recorder has stored it.
/// Typed events without an id say where the build stands: `status`
/// (status and attempt), `progress` (percent) and `stage` (a stage's name
/// and status), first all of them, then what changed. An `end` event
/// closes the stream once the attempt has finished (or a later attempt
/// has started) and every line is out.
/// While nothing happens the stream polls less often (up to `idlePoll`) and
/// sends a `: keep-alive` comment every `keepAlive`, so proxies keep it open
/// and a client that left is noticed. It holds its follower slot until it
/// ends, which is at the latest after `lifetime`: then a `resume` event says
/// which `after` to reconnect with.
struct LogFollower {
    let logs: BuildLogRepository
    let slot: FollowerCount.Slot
    var keepAlive: Duration
    var lifetime: Duration
    var pageSize = 5000
    var pollInterval: Duration = .milliseconds(50)
    var idlePoll: Duration = .seconds(1)

    func response(build: UUID, attempt: Int?, after start: Int) -> Response {
        let (logs, slot, keepAlive, lifetime, pageSize, pollInterval, idlePoll) =
            (logs, slot, keepAlive, lifetime, pageSize, pollInterval, idlePoll)
        return Response(
            status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                let clock = ContinuousClock()
                var after = start
                var wait = pollInterval
                var lastSent = clock.now
                let deadline = clock.now + lifetime
                var reported: BuildProgress?
                // The attempt is fixed when the stream opens: line numbers start again with each attempt, so
                // a requeued build ends this stream (its `end` names the attempt) rather than splicing the next.
                var attempt = attempt
                while let (page, progress) = try await logs.follow(build, attempt: attempt, after: after, limit: pageSize) {
                    attempt = page.attempt
                    let changes = try Self.typedEvents(progress.events(since: reported))
                    reported = progress
                    if !page.lines.isEmpty || !changes.isEmpty {
                        var text = ""
                        for line in page.lines {
                            text += "id: \(line.number)\ndata: \(Self.singleLine(line.text))\n\n"
                        }
                        try await writer.write(ByteBuffer(string: text + changes))
                        after = page.nextAfter
                        lastSent = clock.now
                        wait = pollInterval
                    } else if clock.now - lastSent >= keepAlive {
                        try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                        lastSent = clock.now
                    }
                    if page.finished {
                        try await writer.write(ByteBuffer(string: "event: end\ndata: {\"attempt\":\(page.attempt)}\n\n"))
                        break
                    }
                    if clock.now >= deadline {
                        try await writer.write(ByteBuffer(string: "event: resume\ndata: {\"after\":\(after)}\n\n"))
                        break
                    }
                    if page.lines.count < pageSize {
                        try await Task.sleep(for: wait)
                        if page.lines.isEmpty { wait = min(wait * 2, idlePoll) }
                    }
                }
                try await writer.finish(nil)
                withExtendedLifetime(slot) {}
            })
    }

    /// The events as the stream writes them: type, then data as one line of JSON.
    private static func typedEvents(_ events: [BuildProgress.Event]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return try events.map { "event: \($0.type)\ndata: " + String(decoding: try encoder.encode($0), as: UTF8.self) + "\n\n" }
            .joined()
    }

    /// A data field ends at a line break, so none may be inside one.
    private static func singleLine(_ text: String) -> String {
        text.contains(where: \.isNewline) ? String(text.map { $0.isNewline ? " " : $0 }) : text
    }
}
