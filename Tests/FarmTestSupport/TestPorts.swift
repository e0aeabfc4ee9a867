import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum TestPorts {
    /// A local port nothing listens on (bound, read back, released).
    public static func unused() throws -> Int {
        try probe(0)
    }

    /// Throws, naming `port`, when something else listens on it: a farm
    /// whose fixed port is taken otherwise fails with nothing but a closed pool.
    public static func requireFree(_ port: Int, for use: String) throws {
        do { _ = try probe(port) } catch { throw PortInUse(port: port, use: use, error: error) }
    }

    public struct PortInUse: Error, CustomStringConvertible {
        let port: Int, use: String, error: any Error
        public var description: String { "port \(port) (\(use)) is taken by another socket: \(error)" }
    }

    /// Binds 127.0.0.1:`port` (as servers do, reusing TIME_WAIT addresses) and returns the port bound.
    private static func probe(_ port: Int) throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var reuse: Int32 = 1
        setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, length) == 0 && listen(socket, 1) == 0 && getsockname(socket, $0, &length) == 0
            }
        }
        guard bound else { throw POSIXError(.init(rawValue: errno) ?? .EADDRINUSE) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
