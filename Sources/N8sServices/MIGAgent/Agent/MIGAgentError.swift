/// Why one pass of the MIG agent could not run (NVML failures are ``NVMLError``).
public enum MIGAgentError: Error, Sendable, CustomStringConvertible {
    /// The kubelet PodResources API could not be read: without it the agent cannot tell which
    /// devices are allocated, so it changes nothing.
    case podResourcesUnavailable(socket: String, underlying: String)
    /// A config file or flag is invalid; the text names the field.
    case configuration(String)
    /// Another process holds the host lock file.
    case lockHeld(path: String)

    public var description: String {
        switch self {
        case .podResourcesUnavailable(let s, let u): "kubelet PodResources API at \(s) is unavailable: \(u)"
        case .configuration(let m): "invalid configuration: \(m)"
        case .lockHeld(let p): "another process holds the lock \(p)"
        }
    }
}
