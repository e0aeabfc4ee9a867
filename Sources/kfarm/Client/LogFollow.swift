import AsyncHTTPClient
import FarmMachine
import FarmModel
import Foundation
import NIOCore

/// Follows a build's log over `GET /builds/{id}/events`. After a dropped
/// connection, or when the server ends a long stream with `resume`, it
/// reconnects with `Last-Event-ID` set to the last line it got, so no line
/// is lost or repeated.
struct LogFollow {
    let farm: FarmClient
    let build: UUID
    let attempt: Int?
    /// The last line handed on.
    private(set) var after: Int
    /// Connection failures in a row before giving up.
    var retries = 8

    init(farm: FarmClient, build: UUID, attempt: Int?, after: Int = 0) {
        (self.farm, self.build, self.attempt, self.after) = (farm, build, attempt, after)
    }

    /// Hands on each line in order until the attempt has ended and every line is out.
    mutating func run(_ receive: (LogLine) -> Void) async throws {
        var failures = 0
        while true {
            do {
                if try await stream(receive) { return }
                failures = 0
            } catch let error as FarmClientError where (400..<500).contains(error.status) && error.status != 429 {
                throw error
            } catch {
                failures += 1
                if failures > retries { throw ClientFailure.notFinished("the log stream keeps failing: \(error)") }
                try await Task.sleep(for: .milliseconds(250 * (1 << min(failures, 5))))
            }
        }
    }

    /// One connection; true once the server said the log has ended.
    private mutating func stream(_ receive: (LogLine) -> Void) async throws -> Bool {
        let query = attempt.map { "?attempt=\($0)" } ?? ""
        let response = try await farm.open("/builds/\(build.lowercased)/events\(query)",
                                           headers: ["Accept": "text/event-stream", "Last-Event-ID": String(after)],
                                           timeout: .hours(24))
        var reader = EventStreamReader()
        for try await chunk in response.body {
            for event in reader.feed(chunk.readableBytesView) {
                switch event.type {
                case "end": return true
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
