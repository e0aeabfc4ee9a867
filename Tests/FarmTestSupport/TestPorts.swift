import Foundation

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

    /// Binds 127.0.0.1:`port` as a server would and returns the port bound.
    private static func probe(_ port: Int) throws -> Int {
        let listener = try LoopbackListener(port: port)
        defer { listener.close() }
        return Int(listener.port)
    }
}
