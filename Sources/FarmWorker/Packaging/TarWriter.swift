import Foundation

/// Writes a POSIX ustar archive as a stream: a header, then the file's
/// bytes by the chunk, then padding; two empty blocks end it. Paths longer
/// than ustar's 100 + 155 characters are refused rather than cut.
struct TarWriter {
    static let block = 512
    private let sink: ([UInt8]) throws -> Void

    /// `sink` receives the archive's bytes in order.
    init(sink: @escaping ([UInt8]) throws -> Void) {
        self.sink = sink
    }

    /// Adds the file at `source` as `path`; `chunk` sees its bytes as they pass (for hashing).
    func addFile(_ path: String, from source: URL, mode: Int = 0o644, chunk: ([UInt8]) -> Void = { _ in }) throws {
        let size = try FileManager.default.attributesOfItem(atPath: source.path)[.size] as? Int ?? 0
        try sink(try Self.header(path: path, size: size, mode: mode))
        let handle = try FileHandle(forReadingFrom: source)
        defer { try? handle.close() }
        var written = 0
        while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty {
            let bytes = [UInt8](data)
            chunk(bytes)
            try sink(bytes)
            written += bytes.count
        }
        guard written == size else { throw CheckFailed("\(source.path) changed while it was archived") }
        try pad(size)
    }

    /// Adds `bytes` as the file `path`.
    func addFile(_ path: String, contents bytes: [UInt8], mode: Int = 0o644) throws {
        try sink(try Self.header(path: path, size: bytes.count, mode: mode))
        try sink(bytes)
        try pad(bytes.count)
    }

    func finish() throws {
        try sink([UInt8](repeating: 0, count: 2 * Self.block))
    }

    private func pad(_ size: Int) throws {
        let remainder = size % Self.block
        if remainder != 0 { try sink([UInt8](repeating: 0, count: Self.block - remainder)) }
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
