import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn`, for running `redis-server` (by `logit dev` and by the tests).
///
/// Written instead of Foundation's `Process` because on Linux its `waitUntilExit()` can spin forever when called
/// from a Swift-concurrency thread (seen here in the test suite); this one waits with `waitpid`, with a deadline.
public final class ChildProcess: Sendable {
    public let pid: pid_t
    private let exitStatus = Mutex<Int32?>(nil)

    /// Starts `executable` with `arguments`. With `newProcessGroup`, Ctrl-C in a terminal does not reach it (its
    /// parent decides when it stops). Its standard output (and error, with `includingErrors`) goes to the file at
    /// `outputPath` (nil: inherited).
    public init(
        executable: String, arguments: [String], newProcessGroup: Bool = true, outputPath: String? = "/dev/null", includingErrors: Bool = false
    ) throws(ChildProcessError) {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The spawning thread may block signals (Dispatch's threads do): give the child an empty mask and default
        // handlers, or it would ignore SIGTERM.
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        if newProcessGroup {
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let outputPath {
            posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            if includingErrors { posix_spawn_file_actions_adddup2(&actions, 1, 2) }
        }

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, executable, &actions, &attributes, argv, environ)
        guard status == 0 else { throw ChildProcessError(message: "cannot start \(executable): \(String(cString: strerror(status)))") }
        pid = child
    }

    /// True until the process has exited (and then reaps it).
    public var isRunning: Bool {
        exitStatus.withLock { status in
            guard status == nil else { return false }
            var raw: Int32 = 0
            if waitpid(pid, &raw, WNOHANG) == pid { status = raw }
            return status == nil
        }
    }

    /// Sends SIGTERM, waits up to `seconds` for the exit, then SIGKILL.
    public func terminate(waitingUpTo seconds: Double = 10) {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        var waited = 0.0
        while isRunning && waited < seconds {
            usleep(10_000)
            waited += 0.01
        }
        if isRunning {
            kill(pid, SIGKILL)
            while isRunning { usleep(10_000) }
        }
    }

    /// Waits up to `seconds` for the process to exit by itself; its exit code (nil: still running, or killed by a signal).
    public func waitForExit(upTo seconds: Double) -> Int32? {
        var waited = 0.0
        while isRunning && waited < seconds {
            usleep(10_000)
            waited += 0.01
        }
        return exitStatus.withLock { status in
            guard let status, status & 0x7F == 0 else { return nil }
            return (status >> 8) & 0xFF
        }
    }

    /// Sends a signal (e.g. SIGKILL to simulate a crash).
    public func send(_ signal: Int32) { kill(pid, signal) }
}

public struct ChildProcessError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
