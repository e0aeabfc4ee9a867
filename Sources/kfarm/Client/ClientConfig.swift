import Foundation

/// The farms a person uses, as `kfarm login` saved them: named profiles of
/// URL and token; and each farm's signing key, pinned the first time an
/// artifact from it was verified. Kept in `$XDG_CONFIG_HOME/kfarm/config` (else
/// `~/.config/kfarm/config`; `KFARM_CONFIG` names another file), readable
/// by its owner only, since it holds tokens.
struct ClientConfig: Codable {
    struct Profile: Codable {
        var url: String
        var token: String
    }

    /// The profile commands use when none is named: the last one logged in.
    var current = "default"
    var profiles: [String: Profile] = [:]
    /// Each farm's Ed25519 public key (base64) by the farm's URL.
    var pinnedKeys: [String: String] = [:]

    init() {}

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        current = try container.decodeIfPresent(String.self, forKey: .current) ?? "default"
        profiles = try container.decodeIfPresent([String: Profile].self, forKey: .profiles) ?? [:]
        pinnedKeys = try container.decodeIfPresent([String: String].self, forKey: .pinnedKeys) ?? [:]
    }

    static var file: URL {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["KFARM_CONFIG"], !path.isEmpty { return URL(fileURLWithPath: path) }
        let base = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".config")
        return base.appendingPathComponent("kfarm/config")
    }

    /// The saved profiles; none when nothing was saved yet.
    static func load() throws -> ClientConfig {
        guard FileManager.default.fileExists(atPath: file.path) else { return ClientConfig() }
        // One that exists but cannot be read is an error: saving over it would lose its profiles and pinned keys.
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw ClientFailure.usage("cannot read \(file.path)")
        }
        do {
            return try JSONDecoder().decode(ClientConfig.self, from: data)
        } catch {
            throw ClientFailure.usage("\(file.path) is not a kfarm client configuration: \(error)")
        }
    }

    /// Writes the file with mode 0600 (its folder 0700), replacing it whole.
    func save() throws {
        let file = Self.file
        let folder = file.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let temporary = folder.appendingPathComponent(".config-\(UUID().uuidString)")
        let bytes = try encoder.encode(self)
        // Created 0600 by open(2) itself: the tokens are never readable by others, not even for a moment.
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw ClientFailure.usage("cannot write \(temporary.path): \(String(cString: strerror(errno)))") }
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        guard written == bytes.count, rename(temporary.path, file.path) == 0 else {
            try? FileManager.default.removeItem(at: temporary)
            throw ClientFailure.usage("cannot write \(file.path): \(String(cString: strerror(errno)))")
        }
    }
}
