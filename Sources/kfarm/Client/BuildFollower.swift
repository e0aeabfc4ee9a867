import FarmMachine
import FarmModel
import Foundation
import Synchronization

/// Follows a build until it ends. On a terminal the screen is redrawn in
/// place (stages, progress, the last log lines); piped, each change of a
/// stage is one plain line, so CI logs stay readable.
struct BuildFollower {
    let farm: FarmClient
    let id: UUID
    /// How many log lines the live view shows.
    var logLines = 6
    var pollInterval: Duration = .milliseconds(500)
    /// Whether to draw at all (`--json` prints only the final record).
    var quiet = false

    /// The build as it ended.
    func follow() async throws -> BuildRecord {
        let live = Output.isTerminal && !quiet
        let tail = LogTail(limit: logLines)
        return try await withThrowingTaskGroup(of: BuildRecord?.self) { group in
            if live {
                group.addTask { [farm, id] in
                    var follow = LogFollow(farm: farm, build: id, attempt: nil)
                    // The live view does without log lines rather than fail the follow.
                    try? await follow.run { tail.append($0.text) }
                    return nil
                }
            }
            group.addTask {
                var screen = LiveScreen()
                var patience = Patience()
                var seen: [BuildStage: StageStatus] = [:]
                var lastStatus: BuildStatus?
                while true {
                    let build: BuildRecord = try await patience.retrying("following the build") {
                        try await farm.get("/builds/\(id.lowercased)")
                    }
                    if live {
                        screen.draw(BuildScreen.lines(build, log: tail.lines))
                    } else if !quiet {
                        Self.report(build, seen: &seen, lastStatus: &lastStatus)
                    }
                    if build.status.isFinished { return build }
                    try await Task.sleep(for: pollInterval)
                }
            }
            defer { group.cancelAll() }
            while let next = try await group.next() {
                if let build = next { return build }
            }
            throw ClientFailure.notFinished("stopped following build \(id.lowercased)")
        }
    }

    /// Plain lines for what changed since the last look.
    private static func report(_ build: BuildRecord, seen: inout [BuildStage: StageStatus], lastStatus: inout BuildStatus?) {
        if build.status != lastStatus {
            Output.line(BuildScreen.head(build))
            lastStatus = build.status
        }
        for stage in build.stages where seen[stage.name] != stage.status && stage.status != .pending {
            var line = "  \(stage.name.rawValue): \(stage.status.rawValue)"
            if let started = stage.startedAt, let completed = stage.completedAt {
                line += " (\(BuildScreen.clock(completed.timeIntervalSince(started))))"
            }
            Output.line(line)
            seen[stage.name] = stage.status
        }
    }
}

/// The last log lines, shared by the log stream and the screen.
private final class LogTail: Sendable {
    private let kept = Mutex<[String]>([])
    private let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    func append(_ line: String) {
        kept.withLock { $0 = Array(($0 + [line]).suffix(limit)) }
    }

    var lines: [String] { kept.withLock { $0 } }
}
