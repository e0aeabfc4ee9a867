import FarmModel
import Foundation
import Logging
import PostgresNIO

/// Who a broker login is, answered for RabbitMQ's HTTP auth backend: a
/// registered worker whose worker token is live, or a target system whose
/// agent's system token is live. A revoked or expired token is no one.
public struct BrokerAccountRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    /// The machine `username` names when `password` is its live token.
    public func login(username: String, password: String) async throws -> BrokerMachine? {
        let secret = TokenSecret(value: password)
        guard secret.isWellFormed, let (machine, digest) = try await find(username) else { return nil }
        return TokenSecret.constantTimeEqual(digest, secret.digest) ? machine : nil
    }

    /// The machine `username` names while its token is live (the broker's
    /// permission questions carry no password: the login was checked).
    public func machine(_ username: String) async throws -> BrokerMachine? {
        try await find(username)?.0
    }

    private func find(_ username: String) async throws -> (BrokerMachine, Data)? {
        guard let id = UUID(uuidString: username), id.lowercased == username else { return nil }
        return try await client.query("""
            SELECT 'worker', w.architectures, w.toolchains::text, t.token_hash FROM workers w JOIN api_tokens t ON t.id = w.token_id
            WHERE w.id = \(id) AND t.kind = 'worker' AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())
            UNION ALL
            SELECT 'agent', NULL, NULL, t.token_hash FROM target_systems s JOIN api_tokens t ON t.id = s.agent_token_id
            WHERE s.id = \(id) AND t.kind = 'system' AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())
            """, logger: logger).first { row -> (BrokerMachine, Data) in
            let (kind, architectures, toolchains, digest) = try row.decode((String, [String]?, String?, Data).self)
            let machine: BrokerMachine = kind == "worker"
                ? .worker(id: id, architectures: (architectures ?? []).compactMap(Architecture.init),
                          toolchains: try toolchains.map { try JSONDecoder().decode([Toolchain].self, from: Data($0.utf8)) } ?? [])
                : .agent(systemID: id)
            return (machine, digest)
        }
    }
}
