import Foundation

/// Ctrl-C (SIGINT) and SIGTERM during training: the first asks the run to stop after the
/// current step and save; a second one quits at once (every file is written to a temporary
/// name and renamed, so quitting never leaves a broken checkpoint behind).
enum Interrupt {
    nonisolated(unsafe) private static var count: sig_atomic_t = 0
    nonisolated(unsafe) private static var signalNumber: sig_atomic_t = SIGINT

    static var requested: Bool { count > 0 }

    /// The status to exit with once the run is saved: 128 + the signal, as a shell reports it
    /// (130 for Ctrl-C, 143 for SIGTERM).
    static var exitStatus: Int32 { 128 + signalNumber }

    static func install() {
        // A parent may have started us with these signals blocked (test runners do): unblock them.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
        for signo in [SIGINT, SIGTERM] {
            signal(signo) { signo in
                Interrupt.count += 1
                Interrupt.signalNumber = signo
                if Interrupt.count > 1 { _exit(128 + signo) }
                let message = "\nstopping after this step and saving (interrupt again to quit now)\n"
                _ = message.withCString { write(STDERR_FILENO, $0, strlen($0)) }
            }
        }
    }
}
