import Foundation

/// A process that has ended, for tests of what plan-check leaves behind a killed run.
public enum EndedProcess {
    /// The pid was taken by a new process before the test could use it.
    public struct Reused: Error, CustomStringConvertible {
        public var pid: pid_t
        public var description: String { "pid \(pid) was reused at once" }
    }

    /// The pid of a `/bin/true` that was run and waited for: no process of this machine has it.
    public static func pid() throws -> pid_t {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        let pid = process.processIdentifier
        guard kill(pid, 0) != 0, errno == ESRCH else { throw Reused(pid: pid) }
        return pid
    }
}
