import Foundation
import Yams

/// Settings of `n8s gpu-partitioner` (design.md section 5), read from a YAML file.
///
/// Every field is optional in the file; absent fields keep the defaults below. Unknown fields,
/// wrong types and out-of-range values are rejected at start with ``PartitionerError/invalidConfig(field:reason:)``
/// naming the field, so a typo never silently falls back to a default.
///
/// ```yaml
/// batchWindowTimeoutSeconds: 60
/// batchWindowIdleSeconds: 10
/// planAckTimeoutSeconds: 300
/// plannedPodTTLSeconds: 600
/// unboundAfterAppliedSeconds: 120
/// maxPlansPerPod: 5
/// stalledRetryInitialSeconds: 60
/// stalledRetryMaxSeconds: 1800
/// failedPlanRetryInitialSeconds: 30
/// failedPlanRetryMaxSeconds: 1800
/// catalogOverridePath: /etc/n8s/mig-profiles.yaml
/// quotaChecks: false
/// gpuMemoryPerGPU: 32
/// leaseName: n8s-gpu-partitioner
/// leaseNamespace: n8s-system
/// healthPort: 8081
/// ```
public struct PartitionerConfig: Sendable, Hashable {
    /// A batch closes this long after its first candidate arrived, in seconds. Default 60.
    public var batchWindowTimeoutSeconds = 60
    /// A batch closes after this long without a new candidate, in seconds. Default 10.
    public var batchWindowIdleSeconds = 10
    /// How long an agent may take to echo a plan before its node is `Stalled`, in seconds. Default 300.
    public var planAckTimeoutSeconds = 300
    /// How long a pod planned for stays reserved (not planned again) unless it binds or its
    /// plan fails first, in seconds. Default 600.
    public var plannedPodTTLSeconds = 600
    /// A pod held by a plan its node echoed `Applied` (or by devices that existed already) and
    /// still not bound this long later is released and may be planned again (the plan counts
    /// toward `maxPlansPerPod`): its devices went to another pod, or the scheduler did not see
    /// them. In seconds. Default 120.
    public var unboundAfterAppliedSeconds = 120
    /// Plans that may hold a pod (each made room for it, yet it did not bind); then it is left
    /// alone with an Event. Rounds in which nothing could help it do not count. Default 5.
    public var maxPlansPerPod = 5
    /// First wait before a stalled node's plan is issued again, in seconds; doubles per retry. Default 60.
    public var stalledRetryInitialSeconds = 60
    /// Longest wait between retries of a stalled node, in seconds. Default 1800.
    public var stalledRetryMaxSeconds = 1800
    /// After the agent echoes a plan as `Failed` or `PartiallyApplied`, the node is not planned
    /// for this long, in seconds; the wait doubles with each further failure in a row and resets
    /// when a plan is `Applied`. Default 30.
    public var failedPlanRetryInitialSeconds = 30
    /// Longest such wait, in seconds. Default 1800.
    public var failedPlanRetryMaxSeconds = 1800
    /// MIG catalog override file (schema of `mig-profiles.yaml`); `nil`: the bundled catalog.
    public var catalogOverridePath: String?
    /// Quota admission of candidates (design.md section 6): when on, a pending pod is planned for
    /// only when its quota admits it (``QuotaAdmissionGate``, the scheduler extender's rule).
    public var quotaChecks = false
    /// With ``quotaChecks``: GB of `n8s.nebuly.ai/gpu-memory` charged per `nvidia.com/gpu`, as the
    /// scheduler extender's `--gpu-memory-per-gpu`. Default 32.
    public var gpuMemoryPerGPU = 32
    /// Lease for leader election.
    public var leaseName = "n8s-gpu-partitioner"
    /// Namespace of the lease; `nil`: the client's namespace (in-cluster: the pod's).
    public var leaseNamespace: String?
    /// Port of `/healthz`, `/readyz` and `/metrics` (0 picks a free one).
    public var healthPort = 8081

    public init() {}

    public var batchWindowTimeout: Duration { .seconds(batchWindowTimeoutSeconds) }
    public var batchWindowIdle: Duration { .seconds(batchWindowIdleSeconds) }
    public var planAckTimeout: Duration { .seconds(planAckTimeoutSeconds) }
    public var plannedPodTTL: Duration { .seconds(plannedPodTTLSeconds) }
    public var unboundAfterApplied: Duration { .seconds(unboundAfterAppliedSeconds) }
    public var stalledRetryInitial: Duration { .seconds(stalledRetryInitialSeconds) }
    public var stalledRetryMax: Duration { .seconds(stalledRetryMaxSeconds) }

    static var integerFields: [(String, WritableKeyPath<PartitionerConfig, Int>, ClosedRange<Int>)] { [
        ("batchWindowTimeoutSeconds", \.batchWindowTimeoutSeconds, 1...86_400),
        ("batchWindowIdleSeconds", \.batchWindowIdleSeconds, 1...86_400),
        ("planAckTimeoutSeconds", \.planAckTimeoutSeconds, 1...86_400),
        ("plannedPodTTLSeconds", \.plannedPodTTLSeconds, 1...604_800),
        ("maxPlansPerPod", \.maxPlansPerPod, 1...1_000),
        ("stalledRetryInitialSeconds", \.stalledRetryInitialSeconds, 1...86_400),
        ("stalledRetryMaxSeconds", \.stalledRetryMaxSeconds, 1...604_800),
        ("failedPlanRetryInitialSeconds", \.failedPlanRetryInitialSeconds, 1...86_400),
        ("failedPlanRetryMaxSeconds", \.failedPlanRetryMaxSeconds, 1...604_800),
        ("unboundAfterAppliedSeconds", \.unboundAfterAppliedSeconds, 1...604_800),
        ("healthPort", \.healthPort, 0...65_535),
        ("gpuMemoryPerGPU", \.gpuMemoryPerGPU, 1...10_000),
    ] }

    /// Parses the YAML text of a config file (an empty file gives the defaults).
    /// - Throws: ``PartitionerError/invalidConfig(field:reason:)`` naming the first bad field.
    public init(yaml text: String) throws(PartitionerError) {
        self.init()
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw .invalidConfig(field: "(file)", reason: "not valid YAML: \(error)")
        }
        guard let root else { return }
        if case .scalar(let s) = root, s.string.isEmpty || s.string == "~" || s.string == "null" { return }
        guard let mapping = root.mapping else { throw .invalidConfig(field: "(file)", reason: "must be a mapping of field to value") }
        for (keyNode, value) in mapping {
            guard let key = keyNode.string else { throw .invalidConfig(field: "(file)", reason: "field names must be strings") }
            try set(key, value)
        }
        try validate()
    }

    /// Reads and parses `path`.
    /// - Throws: ``PartitionerError/invalidConfig(field:reason:)``, field `(file)` when unreadable.
    public init(contentsOf path: String) throws(PartitionerError) {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw .invalidConfig(field: "(file)", reason: "cannot read \(path): \(error.localizedDescription)")
        }
        try self.init(yaml: text)
    }

    private mutating func set(_ key: String, _ value: Node) throws(PartitionerError) {
        if let (_, path, range) = Self.integerFields.first(where: { $0.0 == key }) {
            guard let scalar = value.scalar, let n = Int(scalar.string) else {
                throw .invalidConfig(field: key, reason: "must be a whole number, got '\(value.scalar?.string ?? "a collection")'")
            }
            guard range.contains(n) else {
                throw .invalidConfig(field: key, reason: "must be between \(range.lowerBound) and \(range.upperBound), got \(n)")
            }
            self[keyPath: path] = n
            return
        }
        switch key {
        case "catalogOverridePath", "leaseName", "leaseNamespace":
            guard let s = value.scalar?.string, !s.isEmpty else { throw .invalidConfig(field: key, reason: "must be a non-empty string") }
            if key == "catalogOverridePath" { catalogOverridePath = s } else if key == "leaseName" { leaseName = s } else { leaseNamespace = s }
        case "quotaChecks":
            guard let s = value.scalar?.string, let b = Bool(s.lowercased()) else {
                throw .invalidConfig(field: key, reason: "must be true or false, got '\(value.scalar?.string ?? "a collection")'")
            }
            quotaChecks = b
        default:
            let known = (Self.integerFields.map(\.0) + ["catalogOverridePath", "leaseName", "leaseNamespace", "quotaChecks"]).sorted()
            throw .invalidConfig(field: key, reason: "unknown field; known fields: \(known.joined(separator: ", "))")
        }
    }

    /// Checks relations between fields.
    /// - Throws: ``PartitionerError/invalidConfig(field:reason:)``.
    public func validate() throws(PartitionerError) {
        for (name, path, range) in Self.integerFields where !range.contains(self[keyPath: path]) {
            throw .invalidConfig(field: name, reason: "must be between \(range.lowerBound) and \(range.upperBound), got \(self[keyPath: path])")
        }
        if batchWindowIdleSeconds > batchWindowTimeoutSeconds {
            throw .invalidConfig(
                field: "batchWindowIdleSeconds",
                reason: "must not exceed batchWindowTimeoutSeconds (\(batchWindowTimeoutSeconds)), got \(batchWindowIdleSeconds)")
        }
        if stalledRetryInitialSeconds > stalledRetryMaxSeconds {
            throw .invalidConfig(
                field: "stalledRetryInitialSeconds",
                reason: "must not exceed stalledRetryMaxSeconds (\(stalledRetryMaxSeconds)), got \(stalledRetryInitialSeconds)")
        }
        if failedPlanRetryInitialSeconds > failedPlanRetryMaxSeconds {
            throw .invalidConfig(
                field: "failedPlanRetryInitialSeconds",
                reason: "must not exceed failedPlanRetryMaxSeconds (\(failedPlanRetryMaxSeconds)), got \(failedPlanRetryInitialSeconds)")
        }
    }
}
