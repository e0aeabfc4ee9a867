import AsyncHTTPClient
import FarmMachine
import FarmModel
import Foundation
import NIOCore

/// Follows a build's log over `GET /builds/{id}/events`. After a dropped
/// connection, or when the server ends a long stream with `resume`, it
/// reconnects with `Last-Event-ID` set to the last line it got, so no line
/// is lost or repeated. Unless an attempt was asked for, it goes on with
/// the next attempt's log (numbered from 1 again) when the build is retried.
struct LogFollow {
    let farm: FarmClient
    let build: UUID
    /// The attempt asked for; nil: the current one, then each retry's.
    let attempt: Int?
    private var following: Int?
    /// The build's status and attempt as the stream last said.
    private var latest: BuildProgress.Status?
    /// The last line handed on.
    private(set) var after: Int
    private var patience = Patience()

    init(farm: FarmClient, build: UUID, attempt: Int?, after: Int = 0) {
        (self.farm, self.build, self.attempt, self.following, self.after) = (farm, build, attempt, attempt, after)
    }

    /// Hands on each line in order until the attempt has ended and every
    /// line is out; `changed` hears of each status, stage and progress event.
    mutating func run(_ receive: (LogLine) -> Void, newAttempt: (Int) -> Void = { _ in },
                      changed: () -> Void = {}) async throws {
        while true {
            let before = after
            do {
                if try await stream(receive, newAttempt: newAttempt, changed: changed) { return }
                patience.succeeded()
            } catch {
                // A connection that brought lines was not a failure of the farm's, however it ended.
                if after > before { patience.succeeded() }
                try await patience.failed(error, doing: "the log stream")
            }
        }
    }

    /// One connection; true once the server said the log has ended.
    private mutating func stream(_ receive: (LogLine) -> Void, newAttempt: (Int) -> Void,
                                 changed: () -> Void) async throws -> Bool {
        let query = following.map { "?attempt=\($0)" } ?? ""
        let response = try await farm.open("/builds/\(build.lowercased)/events\(query)",
                                           headers: ["Accept": "text/event-stream", "Last-Event-ID": String(after)],
                                           timeout: .hours(24))
        var reader = EventStreamReader()
        for try await chunk in response.body {
            for event in reader.feed(chunk.readableBytesView) {
                switch event.type {
                case "status":
                    latest = try? JSONDecoder().decode(BuildProgress.Status.self, from: Data(event.data.utf8))
                    changed()
                case "stage", "progress": changed()
                case "end":
                    struct End: Decodable { var attempt: Int }
                    let ended = try? JSONDecoder().decode(End.self, from: Data(event.data.utf8))
                    guard attempt == nil, let ended, let latest, latest.attempt > ended.attempt else { return true }
                    following = latest.attempt
                    after = 0
                    newAttempt(latest.attempt)
                    return false
                case "resume": return false
                case "message":
                    guard let number = event.id.flatMap(Int.init), number > after else { continue }
                    after = number
                    receive(LogLine(number: number, text: event.data))
                default: continue
                }
            }
        }
        throw ClientFailure.notFinished("the log stream closed before the build's end")
    }
}
