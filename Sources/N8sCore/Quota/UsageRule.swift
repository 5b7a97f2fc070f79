import KubeCore

/// Which pods count against their quota (docs/design.md section 6).
public struct UsageRule: Sendable, Hashable {
    /// Bound pods (`spec.nodeName` set), or only those whose phase is `Running`.
    public enum Phase: Sendable, Hashable { case bound, running }

    public var phase: Phase
    /// `true`: a pod stops counting once its deletion was requested (`deletionTimestamp`), before
    /// its grace period ends (C28: what it frees can be admitted at once). `false`: it counts until
    /// it is gone or terminal.
    public var releasesTerminating: Bool

    public init(phase: Phase, releasesTerminating: Bool = false) {
        self.phase = phase
        self.releasesTerminating = releasesTerminating
    }

    /// Admission (the scheduler extender): pods bound to a node and not terminated.
    public static let admission = UsageRule(phase: .bound)
    /// `status.used` and the capacity label (the operator): Running pods, as users read it.
    public static let running = UsageRule(phase: .running)

    /// Whether `pod` counts: never when `Succeeded` or `Failed`.
    public func counts(_ pod: Pod) -> Bool {
        if pod.status?.isTerminal == true { return false }
        if releasesTerminating && pod.metadata.isBeingDeleted { return false }
        switch phase {
        case .bound: return !(pod.spec.nodeName ?? "").isEmpty
        case .running: return pod.status?.phase == "Running"
        }
    }
}
