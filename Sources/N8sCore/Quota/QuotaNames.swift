/// Names of the elastic-quota API (docs/design.md sections 3 and 6): the CRD group, the virtual
/// resource, the pod label and the scheduler profile.
public enum QuotaNames {
    /// API group of ``ElasticQuota`` and ``CompositeElasticQuota``.
    public static let group = "n8s.nebuly.ai"
    /// `group/version` of both kinds.
    public static let apiVersion = "n8s.nebuly.ai/v1alpha1"
    /// Virtual resource in GB (GiB, 2³⁰ bytes): the GPU memory a pod's devices carry (``GPUMemoryRates``).
    public static let gpuMemory = "n8s.nebuly.ai/gpu-memory"
    /// Whole GPUs as NVIDIA's device plugin advertises them.
    public static let gpu = "nvidia.com/gpu"
    /// Pod label set by the operator: ``Capacity/inQuota`` or ``Capacity/overQuota``.
    public static let capacityLabel = "n8s.nebuly.ai/capacity"
    /// Scheduler profile whose pods are admitted within their quota.
    public static let schedulerName = "n8s-scheduler"
    /// Condition type on a quota that lost a namespace to an older quota.
    public static let conflictCondition = "Conflict"
}

/// Value of the `n8s.nebuly.ai/capacity` pod label.
///
/// Informative: n8s computes preemption victims itself and never trusts the label.
public enum Capacity: String, Sendable, Hashable, CaseIterable {
    /// The pod runs within its quota's guaranteed `min`; other quotas never reclaim it.
    case inQuota = "in-quota"
    /// The pod borrows idle guaranteed capacity of other quotas; it may be preempted to give it back.
    case overQuota = "over-quota"
}
