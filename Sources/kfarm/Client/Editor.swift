import FarmModel
import Foundation

/// The person's editor on a JSON document: `$VISUAL`, else `$EDITOR`, else
/// vi, run through the shell as git runs it (so `EDITOR="code --wait"` works).
enum Editor {
    static func edit(_ document: JSONValue, named name: String) throws -> JSONValue {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent(name)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard FileManager.default.createFile(atPath: file.path, contents: try encoder.encode(document),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw ClientFailure.usage("cannot write \(file.path)")
        }
        defer { try? FileManager.default.removeItem(at: file) }
        let environment = ProcessInfo.processInfo.environment
        let editor = [environment["VISUAL"], environment["EDITOR"]].compactMap { $0 }.first { !$0.isEmpty } ?? "vi"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", editor + " \"$1\"", "editor", file.path]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ClientFailure.usage("the editor (\(editor)) exited with status \(process.terminationStatus); nothing was sent")
        }
        return try JSONValue.file(file.path)
    }
}
