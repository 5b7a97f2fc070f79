/// Why one pass of the MIG agent could not run (NVML failures are ``NVMLError``).
public enum MIGAgentError: Error, Sendable, CustomStringConvertible {
    /// The kubelet PodResources API could not be read: without it the agent cannot tell which
    /// devices are allocated, so it changes nothing.
    case podResourcesUnavailable(socket: String, underlying: String)
    /// A config file or flag is invalid; the text names the field.
    case configuration(String)
    /// Another process holds the host lock file.
    case lockHeld(path: String)
    /// Device ids the kubelet reports match no NVML MIG device UUID of the node (sorted):
    /// ``DeviceIdentity``. The agent changes nothing on the node.
    case deviceIDMismatch(unmatched: [String])

    public var description: String {
        switch self {
        case .podResourcesUnavailable(let s, let u): "kubelet PodResources API at \(s) is unavailable: \(u)"
        case .configuration(let m): "invalid configuration: \(m)"
        case .lockHeld(let p): "another process holds the lock \(p)"
        case .deviceIDMismatch(let ids): DeviceIdentity.message(ids)
        }
    }

    /// The `N8sMigAgent` condition reason of a pass that ends with this error.
    public var conditionReason: String {
        switch self {
        case .podResourcesUnavailable: MIGAgentNames.podResourcesUnavailable
        case .configuration, .lockHeld: MIGAgentNames.applyFailed
        case .deviceIDMismatch: MIGAgentNames.deviceIDMismatch
        }
    }
}
