#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive `flock` on a host file: two agents (e.g. an old and a new pod during a rollout)
/// never change GPUs at once. Released by ``release()``, on deinit, or when the process exits.
public final class HostLock {
    private var fd: Int32
    public let path: String

    /// Takes the lock without waiting.
    /// - Throws: ``MIGAgentError/lockHeld(path:)`` when another process holds it;
    ///   ``MIGAgentError/configuration(_:)`` when the file cannot be opened.
    public init(path: String) throws(MIGAgentError) {
        let fd = open(path, O_CREAT | O_RDWR, 0o600)
        guard fd >= 0 else { throw .configuration("lock file \(path) cannot be opened (errno \(errno))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            closeDescriptor(fd)
            throw .lockHeld(path: path)
        }
        self.fd = fd
        self.path = path
    }

    /// Idempotent.
    public func release() {
        guard fd >= 0 else { return }
        flock(fd, LOCK_UN)
        closeDescriptor(fd)
        fd = -1
    }

    deinit { release() }
}

private func closeDescriptor(_ fd: Int32) {
    #if canImport(Glibc)
    _ = Glibc.close(fd)
    #else
    _ = Darwin.close(fd)
    #endif
}
