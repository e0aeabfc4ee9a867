import ArgumentParser
import FarmMachine
import FarmModel
import Foundation

/// `kfarm login`: checks a token against the farm and saves it as a profile.
struct Login: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Save a farm's URL and your token as a profile.",
        discussion: """
            The token is read from stdin when it is not a terminal, else asked for without echo. \
            It is checked with GET /users/me, then saved in ~/.config/kfarm/config (mode 0600) \
            and the profile becomes the current one.

            Examples:
              kfarm login --url http://127.0.0.1:8080
              echo "$TOKEN" | kfarm login --url https://farm.example.com --profile prod
            """)

    @Option(help: "The farm's API, e.g. http://127.0.0.1:8080.")
    var url: String

    @Option(help: "The profile's name.")
    var profile = "default"

    func run() async throws {
        try await ClientFailure.reporting {
            let token = try Self.readToken()
            let user: User = try await ClientOptions.client(url: url, token: token).get("/users/me")
            var config = try ClientConfig.load()
            config.profiles[profile] = ClientConfig.Profile(url: url, token: token)
            config.current = profile
            try config.save()
            Output.line("logged in to \(url) as \(user.username) (\(user.role.rawValue)); profile \(profile) saved in \(ClientConfig.file.path)")
        }
    }

    private static func readToken() throws -> String {
        let token: String
        if isatty(STDIN_FILENO) == 1 {
            guard let typed = getpass("Token: ") else { throw ClientFailure.usage("no token given") }
            token = String(cString: typed)
        } else {
            token = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        }
        let trimmed = token.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw ClientFailure.usage("no token given on stdin") }
        return trimmed
    }
}
