import FarmModel
import FarmTestSupport
import Foundation
import Testing

/// Issue 17: the dashboard in a real browser. Headless Debian chromium,
/// driven by Playwright (Tests/Browser/dashboard_check.py), signs in,
/// watches a build's log arrive, reads an artifact's lineage, deploys it to
/// two `kfarm agent`s and sees the targets change, and signs out.
/// Screenshots go to $KFARM_TEST_OUTPUT/dashboard (default: the temp directory).
extension FarmTests {
    @Test func theDashboardInABrowser() async throws {
        let python = try #require(ProcessInfo.processInfo.environment["KFARM_BROWSER_PYTHON"],
                                  "KFARM_BROWSER_PYTHON is not set: run the tests with scripts/test.sh (scripts/browser-tools.sh)")
        let output = URL(fileURLWithPath: ProcessInfo.processInfo.environment["KFARM_TEST_OUTPUT"]
                         ?? FileManager.default.temporaryDirectory.path).appendingPathComponent("dashboard")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        try await Self.withRollout(systems: 2, pause: 3) { rollout, _ in
            let farm = rollout.farm
            // Each compiled file waits two seconds, so the log grows while the browser watches.
            let settings = try await farm.workerSettings([.arm64], environment: ["KFARM_FIXTURE_STEP_DELAY": "2"])
            try await farm.withWorker(settings) {
                let script = TestFarm.root.appendingPathComponent("Tests/Browser/dashboard_check.py")
                let log = output.appendingPathComponent("browser.log")
                FileManager.default.createFile(atPath: log.path, contents: nil)
                let browser = Process()
                browser.executableURL = URL(fileURLWithPath: python)
                browser.arguments = [
                    script.path, "--url", farm.apiURL.absoluteString.trimmingSuffix("/"), "--token", rollout.manager.token,
                    "--config-version", rollout.artifacts[0].configVersion.id.lowercased,
                    "--artifact", rollout.artifacts[0].id.lowercased,
                    "--systems", rollout.systems.map(\.id.lowercased).joined(separator: ","), "--out", output.path,
                ]
                browser.standardOutput = try FileHandle(forWritingTo: log)
                browser.standardError = browser.standardOutput
                try browser.run()
                let deadline = ContinuousClock.now + .seconds(300)
                while browser.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(200)) }
                if browser.isRunning { browser.terminate() }
                browser.waitUntilExit()
                let said = try String(contentsOf: log, encoding: .utf8)
                #expect(browser.terminationStatus == 0, "the browser check failed:\n\(said)")
                for screenshot in ["build-running", "build-phone", "build-completed", "artifact", "deployment", "signed-out"] {
                    #expect(FileManager.default.fileExists(atPath: output.appendingPathComponent("\(screenshot).png").path),
                            "no \(screenshot).png")
                }
            }
        }
    }
}

private extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
