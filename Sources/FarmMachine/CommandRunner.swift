import CSpawn
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Runs a command as a subprocess and hands its output (stdout and stderr
/// together, as make prints them) to `onLines` line by line as it comes.
/// The command runs in a process group of its own, so cancelling the task
/// stops it with everything it started (make and its compilers): SIGTERM
/// to the group, then SIGKILL after a grace period. Spawning, reading and
/// waiting happen on a dedicated thread, never on the caller's.
public enum CommandRunner {
    public static let killGrace: Duration = .seconds(5)

    /// The command's exit status (128 + signal when a signal ended it).
    public static func run(_ command: Command, onLines: @escaping @Sendable ([String]) -> Void) async throws -> Int32 {
        let process = RunningProcess()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (done: CheckedContinuation<Int32, any Error>) in
                // Spawned from the thread that waits for it: a child that dies
                // with its parent (bubblewrap's --die-with-parent follows the
                // spawning thread) lives exactly as long as it is waited for.
                let thread = Thread {
                    let pid: pid_t, output: Int32
                    do {
                        (pid, output) = try spawn(command)
                    } catch {
                        done.resume(throwing: error)
                        return
                    }
                    process.started(pid)
                    var splitter = LineSplitter()
                    var buffer = [UInt8](repeating: 0, count: 65_536)
                    while true {
                        let count = buffer.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
                        if count < 0 && errno == EINTR { continue }
                        if count <= 0 { break }
                        let lines = splitter.feed(buffer[0..<count])
                        if !lines.isEmpty { onLines(lines) }
                    }
                    close(output)
                    if let last = splitter.finish() { onLines([last]) }
                    var status: Int32 = 0
                    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                    process.reaped()
                    let signal = status & 0x7F
                    done.resume(returning: signal == 0 ? (status >> 8) & 0xFF : 128 + signal)
                }
                thread.name = "command.\(command.executable)"
                thread.start()
            }
        } onCancel: {
            process.stop()
        }
    }

    /// Starts the command (looked up on PATH) in a new process group with
    /// default signal handling, stdin from /dev/null and stdout and stderr
    /// into one pipe; returns its pid and the pipe's reading end.
    private static func spawn(_ command: Command) throws -> (pid_t, Int32) {
        var pipeEnds: [Int32] = [0, 0]
        guard kfarm_pipe_cloexec(&pipeEnds) == 0 else { throw MachineError.launch("\(command.executable): pipe: \(errno)") }
        let (readEnd, writeEnd) = (pipeEnds[0], pipeEnds[1])
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 2)
        posix_spawn_file_actions_addclose(&actions, readEnd)
        posix_spawn_file_actions_addclose(&actions, writeEnd)
        // Nothing else of the worker's goes with it: NIO opens its sockets
        // (the API, PostgreSQL, other builds' pipes) without close-on-exec.
        kfarm_spawn_close_from(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGQUIT] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let inherited = command.inheritsEnvironment ? ProcessInfo.processInfo.environment : [:]
        let environment = inherited.merging(command.environment) { $1 }.map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let result = withCStrings([command.executable] + command.arguments) { argv in
            withCStrings(environment) { envp in
                posix_spawnp(&pid, command.executable, &actions, &attributes, argv, envp)
            }
        }
        close(writeEnd)
        guard result == 0 else {
            close(readEnd)
            throw MachineError.launch("\(command.executable): \(String(cString: strerror(result)))")
        }
        return (pid, readEnd)
    }

    /// A NULL-terminated array of C strings that lives for `body`.
    private static func withCStrings<T>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> T) -> T {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { pointers.forEach { free($0) } }
        return body(pointers)
    }
}

/// A command's process group as cancellation sees it: a stop asked for
/// before the spawn is carried out as soon as there is a group to signal,
/// and no signal goes to a group once its leader has been reaped (the id
/// may be reused).
private final class RunningProcess: Sendable {
    private struct State {
        var pid: pid_t?
        var stopAsked = false
        var reaped = false
    }

    private let state = Mutex(State())

    func started(_ pid: pid_t) {
        let stopAsked = state.withLock { $0.pid = pid; return $0.stopAsked }
        if stopAsked { terminate(pid) }
    }

    func reaped() {
        state.withLock { $0.reaped = true }
    }

    /// SIGTERM to the group, then SIGKILL after the grace period if it is still there.
    func stop() {
        let pid = state.withLock { $0.stopAsked = true; return $0.reaped ? nil : $0.pid }
        if let pid { terminate(pid) }
    }

    private func terminate(_ pid: pid_t) {
        kill(-pid, SIGTERM)
        Task.detached { [self] in
            try? await Task.sleep(for: CommandRunner.killGrace)
            state.withLock { if !$0.reaped { kill(-pid, SIGKILL) } }
        }
    }
}

/// Splits a byte stream into lines (without their `\n` or `\r\n`); invalid
/// UTF-8 is repaired rather than dropped, NUL bytes (which PostgreSQL's
/// text cannot hold) are dropped, and a line longer than `maxLength` bytes
/// is cut into several, so output without newlines cannot grow without bound.
struct LineSplitter {
    static let maxLength = 64 * 1024

    private var partial: [UInt8] = []

    mutating func feed(_ bytes: ArraySlice<UInt8>) -> [String] {
        var lines: [String] = []
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                lines.append(take())
            } else if byte != 0 {
                partial.append(byte)
                if partial.count >= Self.maxLength { lines.append(take()) }
            }
        }
        return lines
    }

    mutating func finish() -> String? {
        partial.isEmpty ? nil : take()
    }

    private mutating func take() -> String {
        if partial.last == UInt8(ascii: "\r") { partial.removeLast() }
        defer { partial.removeAll(keepingCapacity: true) }
        return String(decoding: partial, as: UTF8.self)
    }
}

/// Collects a command's output lines (for short commands such as version probes).
public final class LineCollector: Sendable {
    private let collected = Mutex<[String]>([])

    public init() {}

    public var lines: [String] { collected.withLock { $0 } }

    @Sendable public func append(_ lines: [String]) {
        collected.withLock { $0.append(contentsOf: lines) }
    }
}
