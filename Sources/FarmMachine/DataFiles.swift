import Foundation

/// The worker's data folders (`workers/architectures`, `workers/toolchains`):
/// one JSON file per entry, read in name order.
enum DataFiles {
    static func load<Entry: Decodable>(_ type: Entry.Type, from directory: URL,
                                       check: (Entry) throws -> Void = { _ in }) throws -> [Entry] {
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        return try files.map { file in
            do {
                let entry = try JSONDecoder().decode(Entry.self, from: Data(contentsOf: file))
                try check(entry)
                return entry
            } catch {
                throw MachineError.configuration("\(file.path): \(error)")
            }
        }
    }
}
