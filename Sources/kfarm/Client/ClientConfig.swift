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
        guard let data = FileManager.default.contents(atPath: file.path) else { return ClientConfig() }
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
        guard FileManager.default.createFile(atPath: temporary.path, contents: try encoder.encode(self),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw ClientFailure.usage("cannot write \(temporary.path)")
        }
        guard rename(temporary.path, file.path) == 0 else {
            try? FileManager.default.removeItem(at: temporary)
            throw ClientFailure.usage("cannot replace \(file.path): \(String(cString: strerror(errno)))")
        }
    }
}
