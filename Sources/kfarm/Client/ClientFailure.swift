import ArgumentParser
import FarmMachine
import FarmModel
import Foundation

/// How a people's command ends when it does not succeed, as its exit code
/// says: 1 the build failed, 2 the farm could not finish it (an
/// infrastructure failure, or cancelled), 3 a usage or API error.
enum ClientFailure: Error, CustomStringConvertible {
    case buildFailed(String)
    case notFinished(String)
    case usage(String)
    case api(FarmClientError)

    var description: String {
        switch self {
        case .buildFailed(let why), .notFinished(let why), .usage(let why): why
        case .api(let error): error.message
        }
    }

    /// Runs a people's command's work: a failure prints one line on stderr
    /// and ends the command with its exit code.
    static func reporting(_ work: () async throws -> Void) async throws {
        do {
            try await work()
        } catch let failure as ClientFailure {
            Output.message(failure.description)
            throw failure.exitCode
        } catch let error as FarmClientError {
            Output.message(error.message)
            throw ExitCode(3)
        } catch let error as MachineError {
            Output.message(error.description)
            throw ExitCode(3)
        } catch {
            // The farm could not be reached, or a file could not be written: not a build's failure.
            Output.message(String(describing: error))
            throw ExitCode(3)
        }
    }

    /// How a followed build's end ends the command; nil when it completed.
    static func ending(_ build: BuildRecord) -> ClientFailure? {
        switch build.status {
        case .completed: nil
        case .failed where build.failure?.kind == .build: .buildFailed("build \(build.buildNumber) failed")
        case .failed: .notFinished("build \(build.buildNumber) failed for an infrastructure reason")
        default: .notFinished("build \(build.buildNumber) ended \(build.status.rawValue)")
        }
    }

    var exitCode: ExitCode {
        switch self {
        case .buildFailed: ExitCode(1)
        case .notFinished: ExitCode(2)
        case .usage, .api: ExitCode(3)
        }
    }
}
