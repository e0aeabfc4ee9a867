import ArgumentParser
import FarmMachine
import Foundation

/// What every people's command takes: which farm (a saved profile, or
/// `KFARM_URL` and `KFARM_TOKEN`) and whether to print JSON.
struct ClientOptions: ParsableArguments {
    @Option(help: "The saved profile to use (default: the one last logged in).")
    var profile: String?

    @Flag(help: "Print the API's data as JSON (stable field names, as in the API) instead of text.")
    var json = false

    /// The farm's client: the profile named with `--profile`; else
    /// `KFARM_URL` and `KFARM_TOKEN` when both are set; else the current profile.
    func client() throws -> FarmClient {
        let environment = ProcessInfo.processInfo.environment
        if profile == nil, let url = environment["KFARM_URL"], let token = environment["KFARM_TOKEN"], !url.isEmpty, !token.isEmpty {
            return try Self.client(url: url, token: token)
        }
        let config = try ClientConfig.load()
        let name = profile ?? config.current
        guard let saved = config.profiles[name] else {
            throw ClientFailure.usage(config.profiles.isEmpty
                ? "not logged in: run kfarm login --url URL (or set KFARM_URL and KFARM_TOKEN)"
                : "no profile \(name); saved: \(config.profiles.keys.sorted().joined(separator: ", "))")
        }
        return try Self.client(url: saved.url, token: saved.token)
    }

    static func client(url: String, token: String) throws -> FarmClient {
        guard let base = URL(string: url.hasSuffix("/") ? String(url.dropLast()) : url), base.host != nil,
              ["http", "https"].contains(base.scheme ?? "") else {
            throw ClientFailure.usage("\(url) is not a farm URL such as http://127.0.0.1:8080")
        }
        return FarmClient(baseURL: base, token: token)
    }
}

/// A people's command: it talks to the farm, and its failures end it with
/// the exit code `ClientFailure` gives and one line on stderr.
protocol ClientCommand: AsyncParsableCommand {
    var options: ClientOptions { get }
    func perform(on farm: FarmClient) async throws
}

extension ClientCommand {
    func run() async throws {
        try await ClientFailure.reporting { try await perform(on: try options.client()) }
    }
}
