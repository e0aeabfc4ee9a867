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
        // The shell's child must die too, or it would hold the pipe open for 30 s.
        let lines = LineCollector()
        let run = Task { try await CommandRunner.run(Command("sh", ["-c", "sleep 30; echo late"]), onLines: lines.append) }
        try await Task.sleep(for: .milliseconds(200))
        run.cancel()
        let status = try await run.value
        // Killed, not run out: a shell whose sleep ended would have said "late" and exited 0. (No bound on the
        // time: a loaded machine's test run once took 47 s to get here, the kill having come in time.)
        #expect(status == 128 + SIGTERM)
        #expect(lines.lines.isEmpty)
    }
}
