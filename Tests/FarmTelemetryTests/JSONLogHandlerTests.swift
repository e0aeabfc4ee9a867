import FarmTelemetry
import Foundation
import Logging
import Synchronization
import Testing

@Suite struct JSONLogHandlerTests {
    /// Lines a handler wrote, kept for the test to read.
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        var output: JSONLogHandler.Output { JSONLogHandler.Output { line in self.lines.withLock { $0.append(line) } } }
        var all: [String] { lines.withLock { $0 } }
    }

    @Test func eachEntryIsOneJSONObjectOnOneLine() throws {
        let lines = Lines()
        var logger = Logger(label: "kfarm.test") { JSONLogHandler(label: $0, output: lines.output) }
        logger[metadataKey: "request.id"] = "r-1"
        logger.info("request", metadata: ["http.status": .stringConvertible(201), "tags": .array(["a", "b"]),
                                          "nested": .dictionary(["k": "v"])])
        let line = try #require(lines.all.first)
        #expect(line.hasSuffix("}\n") && line.dropLast().contains("\n") == false)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["message"] as? String == "request")
        #expect(object["level"] as? String == "info")
        #expect(object["logger"] as? String == "kfarm.test")
        #expect(object["request.id"] as? String == "r-1")
        #expect(object["http.status"] as? String == "201")
        #expect(object["tags"] as? [String] == ["a", "b"])
        #expect((object["nested"] as? [String: String])?["k"] == "v")
        #expect((object["time"] as? String)?.hasPrefix("20") == true)
    }

    @Test func hostileValuesCannotBreakTheLineOrForgeFields() throws {
        let lines = Lines()
        let logger = Logger(label: "kfarm.test") { JSONLogHandler(label: $0, output: lines.output) }
        let hostile = "x\"}\n{\"level\":\"critical\"\u{0}\u{2028}\\"
        logger.warning("\(hostile)", metadata: ["path": .string(hostile), "level": "forged"])
        let line = try #require(lines.all.first)
        #expect(line.filter { $0 == "\n" }.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["message"] as? String == hostile)
        #expect(object["path"] as? String == hostile)
        #expect(object["level"] as? String == "warning", "metadata cannot overwrite the entry's own fields")
    }

    @Test func belowTheLevelNothingIsWritten() {
        let lines = Lines()
        var logger = Logger(label: "kfarm.test") { JSONLogHandler(label: $0, output: lines.output) }
        logger.logLevel = .warning
        logger.info("quiet")
        logger.error("loud")
        #expect(lines.all.count == 1)
    }
}
