import CZstd

/// What went wrong in libzstd, in its own words, or a stream that ended
/// inside a frame.
public enum ZstdError: Error, Sendable, Equatable, CustomStringConvertible {
    case library(String)
    case truncated

    static func check(_ code: Int) throws(ZstdError) -> Int {
        if ZSTD_isError(code) != 0 { throw .library(String(cString: ZSTD_getErrorName(code))) }
        return code
    }

    public var description: String {
        switch self {
        case .library(let message): "zstd: \(message)"
        case .truncated: "zstd: the stream ends inside a frame"
        }
    }
}
