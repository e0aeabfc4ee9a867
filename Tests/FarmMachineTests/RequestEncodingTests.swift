import FarmMachine
import Foundation
import Testing

/// A machine's request body is the same bytes for the same value, however
/// its dictionaries were built: a worker restarted (another hash seed, other
/// dictionary orders) republishing an unchanged module catalog is recognised.
@Suite struct RequestEncodingTests {
    @Test func equalValuesEncodeToEqualBytes() throws {
        let keys = (0..<200).map { "parameter_\($0)" }
        var forward: [String: Int] = [:]
        for (index, key) in keys.enumerated() { forward[key] = index }
        var backward: [String: Int] = Dictionary(minimumCapacity: 4096)
        for (index, key) in keys.enumerated().reversed() { backward[key] = index }
        #expect(forward == backward)
        #expect(try JSONEncoder.request.encode(forward) == JSONEncoder.request.encode(backward))
    }
}
