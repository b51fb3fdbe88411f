import Foundation
import Glibc

/// Runs the built `lstmchat` on a pseudo-terminal, as if typed at in a terminal window: its
/// standard input, output and error are the terminal, which is also its controlling terminal,
/// so Ctrl-C (byte 0x03) reaches it as SIGINT.
final class PseudoTerminal {
    struct Failure: Error, CustomStringConvertible { var description: String }

    private let master: Int32
    private let pid: pid_t
    private var exitStatus: Int32?
    /// Everything the program wrote, escape sequences included.
    private(set) var output: [UInt8] = []
    /// Where the next `waitFor` starts looking.
    private var mark = 0

    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        // posix_openpt, unlockpt and ptsname by hand: Swift's Glibc module leaves them out.
        master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        var unlock: Int32 = 0, number: UInt32 = 0
        guard master >= 0, ioctl(master, Self.TIOCSPTLCK, &unlock) == 0, ioctl(master, Self.TIOCGPTN, &number) == 0 else {
            throw Failure(description: "no pseudo-terminal: \(String(cString: strerror(errno)))")
        }
        let name = "/dev/pts/\(number)"
        var size = winsize(ws_row: 24, ws_col: 100, ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(master, UInt(TIOCSWINSZ), &size)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // In a new session, the first terminal opened becomes the controlling one.
        posix_spawn_file_actions_addopen(&actions, 0, name, O_RDWR, 0)
        posix_spawn_file_actions_adddup2(&actions, 0, 1)
        posix_spawn_file_actions_adddup2(&actions, 0, 2)
        // Keep other tests' pipes out of the child, or their readers would wait for it too.
        if let closeFrom = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
            typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
            _ = unsafeBitCast(closeFrom, to: CloseFrom.self)(&actions, 3)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The test runner's threads may block or ignore signals; the program must start with
        // none blocked and the default actions, as from a shell.
        var signals = sigset_t()
        sigemptyset(&signals)
        posix_spawnattr_setsigmask(&attributes, &signals)
        for signal in [SIGINT, SIGQUIT, SIGTERM, SIGPIPE] { sigaddset(&signals, signal) }
        posix_spawnattr_setsigdefault(&attributes, &signals)
        posix_spawnattr_setflags(&attributes, Self.POSIX_SPAWN_SETSID | Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let base = ProcessInfo.processInfo.environment.merging(["TERM": "xterm", "INPUTRC": "/dev/null"]) { $1 }
        let argv = ([LSTMChatBinary.url.path] + arguments).map { strdup($0) } + [nil]
        let envp = base.merging(environment) { $1 }.map { strdup("\($0)=\($1)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, LSTMChatBinary.url.path, &actions, &attributes, argv, envp)
        guard status == 0 else { throw Failure(description: "cannot start lstmchat: \(String(cString: strerror(status)))") }
        self.pid = pid
    }

    // Linux's values of macros Swift cannot import.
    private static let TIOCSPTLCK: UInt = 0x4004_5431, TIOCGPTN: UInt = 0x8004_5430
    private static let POSIX_SPAWN_SETSID: Int16 = 0x80

    deinit {
        if exitStatus == nil {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        close(master)
    }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
    }

    /// Reads what the program writes for up to `seconds`.
    private func read(for seconds: Double) {
        var poller = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(seconds * 1000)) > 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { Glibc.read(master, $0.baseAddress, $0.count) }
        if n > 0 { output += buffer[0..<n] }
    }

    /// Waits until the program has written `text` since the last match, and returns what it
    /// wrote up to and including it; nil if it has not within `timeout` seconds.
    @discardableResult
    func waitFor(_ text: String, timeout: Double = 20) -> String? {
        let needle = Array(text.utf8), deadline = Date().addingTimeInterval(timeout)
        while true {
            if let range = find(needle) {
                defer { mark = range.upperBound }
                return String(decoding: output[mark..<range.upperBound], as: UTF8.self)
            }
            if Date() >= deadline { return nil }
            read(for: 0.05)
        }
    }

    private func find(_ needle: [UInt8]) -> Range<Int>? {
        guard output.count - mark >= needle.count else { return nil }
        for start in mark...(output.count - needle.count) where output[start..<(start + needle.count)].elementsEqual(needle) {
            return start..<(start + needle.count)
        }
        return nil
    }

    /// The exit status once the program has exited (reading its output meanwhile), or nil after
    /// `timeout` seconds; a death by signal gives 128 + the signal number.
    func waitForExit(timeout: Double = 20) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                let signal = status & 0x7f
                exitStatus = signal == 0 ? (status >> 8) & 0xff : 128 + signal
                return exitStatus
            }
            read(for: 0.05)
        }
        return nil
    }

    /// All the output as text, for messages when a test fails.
    var transcript: String { String(decoding: output, as: UTF8.self) }
}
