import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Standard output and error for the client subcommands, written with `write(2)`.
///
/// `FileHandle.write` traps when the reader has gone (`logit predict … | head -2` crashed with a backtrace). Here a
/// closed pipe ends the process quietly, with the status a process killed by SIGPIPE has (141), as `cat` and `git`
/// end in a pipeline.
enum StandardStreams {
    static func output(_ text: String) { write(Data(text.utf8), to: STDOUT_FILENO) }
    static func output(_ data: Data) { write(data, to: STDOUT_FILENO) }
    static func error(_ text: String) { write(Data(text.utf8), to: STDERR_FILENO) }

    /// The exit status after a broken pipe: 128 + SIGPIPE.
    static let brokenPipeStatus: Int32 = 141

    private static func write(_ data: Data, to descriptor: Int32) {
        // SIGPIPE is ignored process-wide (the Redis client does so at start); make sure of it here too, so a closed
        // pipe is an EPIPE we handle, not a signal.
        signal(SIGPIPE, SIG_IGN)
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    if errno == EPIPE { exit(brokenPipeStatus) }
                    return  // nowhere left to report it
                }
                offset += written
            }
        }
    }
}
