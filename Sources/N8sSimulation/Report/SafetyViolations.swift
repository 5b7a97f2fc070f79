import KubeCore

/// The safety figures of a simulation: n8s's first rule broken, counted by kind. Every count
/// must be 0; `n8s sim` exits 1 otherwise.
///
/// - ``destroyedWhileAllocated``: MIG instances destroyed while the kubelet had allocated them to a pod;
/// - ``destroyedWhileReserved``: instances destroyed while a pod bound to the node, not yet
///   allocated, needed them (free instances of its profile beyond what bound pods need may go);
/// - ``admissionFailures``: pods the kubelet failed with `UnexpectedAdmissionError` because the
///   devices they were bound for were gone;
/// - ``deviceLostWhileRunning``: running pods that lost a device (they fail with ``deviceLostReason``).
///
/// One event can count under two kinds (a running pod's device destroyed: the instance and the pod).
public struct SafetyViolations: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, CaseIterable, Codable {
        case destroyedWhileAllocated, destroyedWhileReserved, admissionFailures, deviceLostWhileRunning

        /// The row label of the summary table.
        public var label: String {
            switch self {
            case .destroyedWhileAllocated: "devices destroyed while allocated (must be 0)"
            case .destroyedWhileReserved: "devices destroyed while reserved (must be 0)"
            case .admissionFailures: "pods failed admission, device gone (must be 0)"
            case .deviceLostWhileRunning: "pods lost a device while running (must be 0)"
            }
        }
    }

    public var destroyedWhileAllocated = 0
    public var destroyedWhileReserved = 0
    public var admissionFailures = 0
    public var deviceLostWhileRunning = 0

    public init() {}

    public subscript(kind: Kind) -> Int {
        get {
            switch kind {
            case .destroyedWhileAllocated: destroyedWhileAllocated
            case .destroyedWhileReserved: destroyedWhileReserved
            case .admissionFailures: admissionFailures
            case .deviceLostWhileRunning: deviceLostWhileRunning
            }
        }
        set {
            switch kind {
            case .destroyedWhileAllocated: destroyedWhileAllocated = newValue
            case .destroyedWhileReserved: destroyedWhileReserved = newValue
            case .admissionFailures: admissionFailures = newValue
            case .deviceLostWhileRunning: deviceLostWhileRunning = newValue
            }
        }
    }

    /// All kinds together.
    public var total: Int { Kind.allCases.reduce(0) { $0 + self[$1] } }

    /// Adds `other`'s counts.
    public static func + (a: Self, b: Self) -> Self {
        var out = a
        for kind in Kind.allCases { out[kind] += b[kind] }
        return out
    }

    /// `status.reason` of a running pod whose MIG device vanished (the simulated kubelet fails it).
    public static let deviceLostReason = "MIGDeviceLost"
    /// `status.reason` of a pod the kubelet could not give its devices.
    public static let admissionErrorReason = "UnexpectedAdmissionError"

    /// `true` for a pod that failed because of its devices: it did not finish its work, and the
    /// workload driver never treats it as done.
    public static func isDeviceFailure(_ pod: Pod) -> Bool {
        pod.status?.phase == "Failed" && [deviceLostReason, admissionErrorReason].contains(pod.status?.reason ?? "")
    }

    /// `kind=count` for every kind, e.g. `destroyedWhileAllocated=0 destroyedWhileReserved=0 ...`.
    public var line: String { Kind.allCases.map { "\($0.rawValue)=\(self[$0])" }.joined(separator: " ") }
}
