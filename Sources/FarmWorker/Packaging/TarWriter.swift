import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes a POSIX ustar archive as a stream: a header, then the file's
/// bytes by the chunk, then padding; two empty blocks end it. Paths longer
/// than ustar's 100 + 155 characters are refused rather than cut. Files are
/// read with plain POSIX calls into one reused buffer: an artifact holds
/// thousands of small modules, so per-file overhead is what counts.
final class TarWriter {
    static let block = 512
    private static let zeros = [UInt8](repeating: 0, count: 2 * block)
    private let sink: (UnsafeRawBufferPointer) throws -> Void
    private var buffer = [UInt8](repeating: 0, count: 1 << 20)

    /// `sink` receives the archive's bytes in order.
    init(sink: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        self.sink = sink
    }

    /// Adds the file at `source` (a filesystem path) as `path`; `chunk` sees
    /// its bytes as they pass (for hashing).
    func addFile(_ path: String, from source: String, mode: Int = 0o644,
                 chunk: (UnsafeRawBufferPointer) -> Void = { _ in }) throws {
        let descriptor = open(source, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw CheckFailed("cannot open \(source): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw CheckFailed("cannot stat \(source)") }
        let size = Int(status.st_size)
        try Self.header(path: path, size: size, mode: mode).withUnsafeBytes(sink)
        var written = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw CheckFailed("cannot read \(source): \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            try buffer.withUnsafeBytes { bytes in
                let piece = UnsafeRawBufferPointer(rebasing: bytes[..<count])
                chunk(piece)
                try sink(piece)
            }
            written += count
        }
        guard written == size else { throw CheckFailed("\(source) changed while it was archived") }
        try pad(size)
    }

    /// Adds `bytes` as the file `path`.
    func addFile(_ path: String, contents bytes: [UInt8], mode: Int = 0o644) throws {
        try Self.header(path: path, size: bytes.count, mode: mode).withUnsafeBytes(sink)
        try bytes.withUnsafeBytes(sink)
        try pad(bytes.count)
    }

    func finish() throws {
        try Self.zeros.withUnsafeBytes(sink)
    }

    private func pad(_ size: Int) throws {
        let remainder = size % Self.block
        if remainder != 0 { try Self.zeros.withUnsafeBytes { try sink(UnsafeRawBufferPointer(rebasing: $0[..<(Self.block - remainder)])) } }
    }

    static func header(path: String, size: Int, mode: Int) throws -> [UInt8] {
        var (prefix, name) = ("", path)
        if path.utf8.count > 100 {
            guard let slash = path.utf8.indices.last(where: { path.utf8[$0] == UInt8(ascii: "/") && path.utf8.distance(from: path.utf8.index(after: $0), to: path.utf8.endIndex) <= 100 }) else {
                throw CheckFailed("\(path) is too long for a ustar archive")
            }
            prefix = String(path[..<slash])
            name = String(path[path.index(after: slash)...])
        }
        guard prefix.utf8.count <= 155, name.utf8.count <= 100 else { throw CheckFailed("\(path) is too long for a ustar archive") }
        var header = [UInt8](repeating: 0, count: block)
        func put(_ text: String, at offset: Int, width: Int) {
            for (index, byte) in text.utf8.prefix(width).enumerated() { header[offset + index] = byte }
        }
        func octal(_ value: Int, at offset: Int, width: Int) {
            put(String(repeating: "0", count: max(0, width - 1 - String(value, radix: 8).count)) + String(value, radix: 8),
                at: offset, width: width - 1)
        }
        put(name, at: 0, width: 100)
        octal(mode, at: 100, width: 8)
        octal(0, at: 108, width: 8)       // uid
        octal(0, at: 116, width: 8)       // gid
        octal(size, at: 124, width: 12)
        octal(0, at: 136, width: 12)      // mtime: archives of the same inputs are identical
        put("        ", at: 148, width: 8) // checksum placeholder
        header[156] = UInt8(ascii: "0")   // regular file
        put("ustar", at: 257, width: 6)
        put("00", at: 263, width: 2)
        put("root", at: 265, width: 32)
        put("root", at: 297, width: 32)
        put(prefix, at: 345, width: 155)
        let checksum = header.reduce(0) { $0 + Int($1) }
        octal(checksum, at: 148, width: 7)
        header[155] = UInt8(ascii: " ")
        return header
    }
}
