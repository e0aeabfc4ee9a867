import FarmMachine
import FarmModel
import Foundation
import Synchronization

/// Follows a build until it ends. The build's event stream says when
/// something changed (its status, a stage, the progress) and brings the
/// log; the record is read again only then. On a terminal the screen is
/// redrawn in place (stages, progress, the last log lines); piped, each
/// change of a stage is one plain line, so CI logs stay readable.
struct BuildFollower {
    let farm: FarmClient
    let id: UUID
    /// How many log lines the live view shows.
    var logLines = 6
    /// How often the live view is redrawn (the running stage's time moves).
    var redrawInterval: Duration = .milliseconds(250)
    /// How long the record may go unread when the stream says nothing (it may be down).
    var quietLimit: Duration = .seconds(10)
    /// Whether to draw at all (`--json` prints only the final record).
    var quiet = false

    /// The build as it ended.
    func follow() async throws -> BuildRecord {
        let live = Output.isTerminal && !quiet
        let tail = LogTail(limit: logLines)
        let news = ChangeCount()
        return try await withThrowingTaskGroup(of: BuildRecord?.self) { group in
            group.addTask { [farm, id] in
                var follow = LogFollow(farm: farm, build: id, attempt: nil)
                // Without the stream the follow still ends: the record is read every quietLimit.
                try? await follow.run({ if live { tail.append($0.text) } },
                                      changed: news.bump)
                news.bump()
                return nil
            }
            group.addTask { [quietLimit, redrawInterval] in
                var screen = LiveScreen()
                var patience = Patience()
                var seen: [BuildStage: StageStatus] = [:]
                var lastStatus: BuildStatus?
                var (build, heard, readAt): (BuildRecord?, Int, ContinuousClock.Instant) = (nil, -1, .now)
                while true {
                    let latest = news.value
                    if build == nil || latest != heard || readAt.duration(to: .now) > quietLimit {
                        (heard, readAt) = (latest, .now)
                        let record: BuildRecord = try await patience.retrying("following the build") {
                            try await farm.get("/builds/\(id.lowercased)")
                        }
                        if !live && !quiet { Self.report(record, seen: &seen, lastStatus: &lastStatus) }
                        build = record
                    }
                    guard let build else { continue }
                    if live { screen.draw(BuildScreen.lines(build, log: tail.lines)) }
                    if build.status.isFinished { return build }
                    try await Task.sleep(for: redrawInterval)
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

/// How many changes the event stream has announced (and one more when it ends).
private final class ChangeCount: Sendable {
    private let count = Atomic<Int>(0)

    func bump() {
        count.add(1, ordering: .relaxed)
    }

    var value: Int { count.load(ordering: .relaxed) }
}
