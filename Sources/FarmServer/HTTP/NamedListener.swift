import Foundation
import Hummingbird
import NIOCore
import ServiceLifecycle

/// An application run as a service whose failure to listen names its
/// address and the option that sets it: NIO says only "Address already in
/// use", which on a farm with two listeners leaves one guessing which.
struct NamedListener<App: ApplicationProtocol>: Service {
    let app: App
    let option: String
    let host: String
    let port: Int

    func run() async throws {
        do {
            try await app.run()
        } catch let error as IOError where error.errnoCode == EADDRINUSE || error.errnoCode == EACCES {
            throw ListenFailure(option: option, host: host, port: port, reason: String(cString: strerror(error.errnoCode)))
        }
    }
}

public struct ListenFailure: Error, CustomStringConvertible {
    let option: String
    let host: String
    let port: Int
    let reason: String

    public var description: String { "cannot listen on \(host):\(port) (\(option)): \(reason)" }
}
