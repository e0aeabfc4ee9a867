import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The address a request is counted against: the connection's peer, or the
/// client a trusted proxy names in `X-Forwarded-For` (the right-most entry
/// not itself a trusted proxy, since clients can prepend anything).
enum ClientAddress {
    static func of(_ request: Request, peer: SocketAddress?, trustedProxies: Set<String>) -> String {
        let peerAddress = peer?.ipAddress ?? "unknown"
        guard trustedProxies.contains(peerAddress), let forwarded = request.headers[.xForwardedFor] else {
            return peerAddress
        }
        let hops = forwarded.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return hops.last { !trustedProxies.contains($0) && isAddress($0) } ?? peerAddress
    }

    private static func isAddress(_ text: String) -> Bool {
        (try? SocketAddress(ipAddress: text, port: 0)) != nil
    }
}

extension HTTPField.Name {
    static let xForwardedFor = Self("X-Forwarded-For")!
    static let xRateLimitLimit = Self("X-RateLimit-Limit")!
    static let xRateLimitRemaining = Self("X-RateLimit-Remaining")!
    static let xRateLimitReset = Self("X-RateLimit-Reset")!
}
