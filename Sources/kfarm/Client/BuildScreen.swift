import FarmModel
import Foundation

/// What a person following a build sees: a head line, one line per stage
/// with its state and time (the running one with a progress bar and an
/// estimate), the last log lines; and at the end, the result.
enum BuildScreen {
    static func lines(_ build: BuildRecord, log: [String], now: Date = Date()) -> [String] {
        var lines = [head(build)]
        for stage in build.stages {
            var line = "  \(mark(stage.status)) \(stage.name.rawValue.padding(toLength: 18, withPad: " ", startingAt: 0)) "
                + stage.status.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)
            if let started = stage.startedAt { line += " " + clock((stage.completedAt ?? now).timeIntervalSince(started)) }
            if stage.status == .in_progress { line += "  " + bar(build, now: now) }
            lines.append(line)
        }
        return lines + log.map { Output.paint("    | " + Output.printable($0), .dim) }
    }

    static func head(_ build: BuildRecord) -> String {
        "\(build.buildNumber)  \(build.architecture.rawValue)  \(Output.paint(build.status))  attempt \(build.attempt)"
            + (build.claimedAt == nil && build.status == .queued ? "  (waiting for a worker)" : "")
    }

    /// The result, with what to do next: the artifact, or why it failed and the log's end.
    static func result(_ build: BuildRecord) -> [String] {
        let took = build.completedAt.map { " in " + clock($0.timeIntervalSince(build.startedAt)) } ?? ""
        var lines = ["\(build.buildNumber) \(Output.paint(build.status))\(took)"]
        switch build.status {
        case .completed:
            if let artifact = build.artifactId { lines.append("artifact \(artifact)  (kfarm artifacts download \(artifact))") }
            if let cached = build.cachedFrom { lines.append("from the build cache: build \(cached) built the same inputs") }
        case .failed:
            if let failure = build.failure {
                lines.append("\(failure.kind.rawValue) failure: \(failure.reason)")
                lines += failure.logTail.map { "    | \($0)" }
            }
        default: break
        }
        return lines + build.warnings.map { "warning: \($0)" }
    }

    /// `12:05` (minutes and seconds), or `1:02:05` past an hour.
    static func clock(_ interval: TimeInterval) -> String {
        let seconds = max(0, Int(interval.rounded()))
        let (hours, minutes, rest) = (seconds / 3600, seconds / 60 % 60, seconds % 60)
        return hours > 0 ? String(format: "%d:%02d:%02d", hours, minutes, rest) : String(format: "%d:%02d", minutes, rest)
    }

    private static func mark(_ status: StageStatus) -> String {
        switch status {
        case .pending: "·"
        case .in_progress: Output.paint(">", .blue)
        case .completed: Output.paint("✔", .green)
        case .failed: Output.paint("✘", .red)
        case .skipped: "-"
        }
    }

    /// The build's progress as a bar, with an estimate from the pace so far.
    private static func bar(_ build: BuildRecord, now: Date) -> String {
        let percent = min(max(build.progress, 0), 100)
        let filled = percent / 5
        var text = "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: 20 - filled) + "] \(percent)%"
        if let claimed = build.claimedAt, percent > 0, percent < 100 {
            let elapsed = now.timeIntervalSince(claimed)
            text += "  ETA " + clock(elapsed * Double(100 - percent) / Double(percent))
        }
        return text
    }
}
