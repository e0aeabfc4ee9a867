import Foundation

/// A machine logged in to RabbitMQ under its own name: a worker as its
/// worker id, a deployment agent as its system id, each with its token as
/// the password (see `BrokerGrant` for what each may do there).
public enum BrokerMachine: Sendable, Equatable {
    /// A worker with the architectures and toolchain offers it registered.
    case worker(id: UUID, architectures: [Architecture], toolchains: [Toolchain] = [])
    case agent(systemID: UUID)
}
