import Foundation

/// The identifying fields of an ELF file's header: enough to tell which
/// architecture a compiler really produced code for.
public struct ELFHeader: Sendable, Equatable {
    /// 64-bit (ELFCLASS64) or 32-bit.
    public var is64Bit: Bool
    /// `e_machine`: 62 x86-64, 183 AArch64, 243 RISC-V.
    public var machine: UInt16

    public init(is64Bit: Bool, machine: UInt16) {
        self.is64Bit = is64Bit
        self.machine = machine
    }

    /// Reads the header of `file`; nil when it is not a little-endian ELF file.
    public static func read(_ file: URL) throws -> ELFHeader? {
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        return parse(try handle.read(upToCount: bytesNeeded) ?? Data())
    }

    /// How much of a file's start `parse` looks at.
    public static let bytesNeeded = 20

    /// The header at the start of `bytes`; nil when they are not a little-endian ELF file's.
    public static func parse(_ bytes: Data) -> ELFHeader? {
        let bytes = Array(bytes.prefix(bytesNeeded))
        guard bytes.count == bytesNeeded, bytes[0...3] == [0x7F, 0x45, 0x4C, 0x46], bytes[5] == 1 else { return nil }
        return ELFHeader(is64Bit: bytes[4] == 2, machine: UInt16(bytes[18]) | UInt16(bytes[19]) << 8)
    }

    /// Fails (a build check) unless the build's `file` is a 64-bit ELF file
    /// for `machine`; `name` is how messages call it. Read through the
    /// workspace: the file is the build's, and may be a link or a FIFO.
    public static func require(_ file: URL, of workspace: Workspace, named name: String, machine: UInt16) throws {
        guard let header = parse(try workspace.contents(of: file, upTo: bytesNeeded)) else {
            throw CheckFailed("\(name) is not an ELF file")
        }
        guard header.is64Bit && header.machine == machine else {
            throw CheckFailed("\(name) is a \(header.is64Bit ? 64 : 32)-bit ELF file for machine \(header.machine), "
                              + "not a 64-bit one for \(machine)")
        }
    }
}
