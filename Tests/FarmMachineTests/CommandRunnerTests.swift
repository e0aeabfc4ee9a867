import FarmMachine
import Foundation
import Testing

@Suite struct CommandRunnerTests {
    @Test func streamsStdoutAndStderrLinesAndReturnsTheStatus() async throws {
        let lines = LineCollector()
        let status = try await CommandRunner.run(
            Command("sh", ["-c", "printf 'one\\ntwo\\r\\n'; echo three >&2; printf 'no newline'; exit 3"]), onLines: lines.append)
        #expect(status == 3)
        #expect(lines.lines == ["one", "two", "three", "no newline"])
    }

    @Test func endlessLinesAreCutAndNULBytesDropped() async throws {
        let lines = LineCollector()
        let status = try await CommandRunner.run(
            Command("sh", ["-c", "head -c 200000 /dev/zero | tr '\\0' x; printf 'a\\0b\\n'"]), onLines: lines.append)
        #expect(status == 0)
        #expect(lines.lines.map(\.count) == [65_536, 65_536, 65_536, 200_000 - 3 * 65_536 + 2])
        #expect(lines.lines.last?.hasSuffix("xab") == true)
    }

    @Test func aMissingProgramCannotBeStarted() async throws {
        await #expect(throws: MachineError.self) {
            try await CommandRunner.run(Command("kfarm-no-such-compiler", []), onLines: { _ in })
        }
    }

    @Test func environmentIsAddedToTheWorkers() async throws {
        let lines = LineCollector()
        _ = try await CommandRunner.run(Command("sh", ["-c", "echo $KFARM_PROBE"], environment: ["KFARM_PROBE": "seen"]),
                                        onLines: lines.append)
        #expect(lines.lines == ["seen"])
    }

    @Test func cancellingTheTaskStopsTheCommandAndWhatItStarted() async throws {
        // The shell says its child's pid, then waits for it.
        let lines = LineCollector()
        let run = Task {
            try await CommandRunner.run(Command("sh", ["-c", "sleep 600 & echo $!; wait; echo late"]), onLines: lines.append)
        }
        for _ in 0..<1500 where lines.lines.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
        run.cancel()
        let status = try await run.value
        // Killed, not run out: a shell whose wait ended would have said "late" and exited 0. (No bound on the
        // time: a loaded machine's test run once took 47 s to get here, the kill having come in time.)
        #expect(status == 128 + SIGTERM)
        #expect(lines.lines.count == 1)
        // And its child with it: gone, or a zombie waiting for init to reap it. (It closed the pipe as it
        // exited, which the run waited for; its last steps out may still be under way: a few seconds' grace.)
        let child = try #require(pid_t(lines.lines[0]))
        var state = Self.state(of: child)
        for _ in 0..<100 where state != nil && state != "Z" {
            try await Task.sleep(for: .milliseconds(50))
            state = Self.state(of: child)
        }
        #expect(state == nil || state == "Z", "the shell's child \(child) is still \(state ?? "")")
    }

    /// A process's state letter as /proc shows it (`R`, `S`, `Z`…), nil once it is gone.
    private static func state(of pid: pid_t) -> String? {
        (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?
            .split(separator: ")").last?.split(separator: " ").first.map(String.init)
    }
}
