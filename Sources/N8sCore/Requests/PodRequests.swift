import KubeCore

/// What a pod asks of a node, by Kubernetes' rule.
///
/// Source: Kubernetes `component-helpers/resource.PodRequests` (1.29+, native sidecars, KEP-753):
/// app containers are summed; an init container runs beside the native sidecars (init containers
/// with `restartPolicy: Always`) started before it; sidecars also run beside the app containers;
/// the pod's request is the larger of the two phases per resource, plus `spec.overhead`. A
/// container's request defaults to its limit when only the limit is set.
public struct PodRequests: Sendable, Hashable {
    /// Resource name to amount (`cpu`, `memory`, `nvidia.com/mig-1g.10gb`, ...); zero amounts kept.
    public var resources: [String: Quantity]

    public init(resources: [String: Quantity]) { self.resources = resources }

    /// The effective requests of `spec`. Sums that overflow saturate at the largest quantity (such a
    /// pod fits no node); use ``init(checking:)`` where the sum itself matters (quotas).
    public init(_ spec: PodSpec) {
        resources = Self.accumulate(spec) { _, a, b in
            let (sum, overflow) = a.nanos.addingReportingOverflow(b.nanos)
            return overflow ? Quantity(nanos: b.nanos < 0 ? .min : .max, notation: a.notation) : Quantity(nanos: sum, notation: a.notation)
        }
    }

    /// The effective requests of `spec`, by the same rule as ``init(_:)``.
    /// - Throws: ``RequestError/overflow(resource:)`` when a sum leaves the range of ``Quantity``.
    public init(checking spec: PodSpec) throws(RequestError) {
        resources = try Self.accumulate(spec) { (name, a, b) throws(RequestError) -> Quantity in
            let (sum, overflow) = a.nanos.addingReportingOverflow(b.nanos)
            guard !overflow else { throw .overflow(resource: name) }
            return Quantity(nanos: sum, notation: a.notation)
        }
    }

    /// Kubernetes' rule, with the addition `add(resource, a, b)` supplied by the caller.
    private static func accumulate<E: Error>(
        _ spec: PodSpec, add: (String, Quantity, Quantity) throws(E) -> Quantity
    ) throws(E) -> [String: Quantity] {
        func sum(_ values: [String: Quantity], into total: inout [String: Quantity]) throws(E) {
            for (k, v) in values { total[k] = try add(k, total[k] ?? .zero, v) }
        }
        var apps: [String: Quantity] = [:]
        for c in spec.containers { try sum(c.resources?.effectiveRequests ?? [:], into: &apps) }
        var sidecars: [String: Quantity] = [:]
        var initPeak: [String: Quantity] = [:]
        for c in spec.initContainers ?? [] {
            let own = c.resources?.effectiveRequests ?? [:]
            var phase: [String: Quantity]
            if c.isSidecar {
                try sum(own, into: &apps)
                try sum(own, into: &sidecars)
                phase = sidecars
            } else {
                phase = sidecars
                try sum(own, into: &phase)
            }
            Self.maximize(phase, into: &initPeak)
        }
        var total = apps
        Self.maximize(initPeak, into: &total)
        try sum(spec.overhead ?? [:], into: &total)
        return total
    }

    /// The amount of one resource; zero when absent.
    public subscript(_ name: String) -> Quantity { resources[name] ?? .zero }

    /// MIG devices the pod needs: profile in resource form (`1g.10gb`, `1g.10gb.me`) to count.
    /// - Throws: ``RequestError/fractionalDevices(resource:quantity:)`` for a non-whole or negative count.
    public func migDevices() throws(RequestError) -> [String: Int] {
        var out: [String: Int] = [:]
        for (name, q) in resources {
            guard let profile = MIGProfile.resourceFormProfile(ofResource: name) else { continue }
            guard !q.isNegative, q.nanos % 1_000_000_000 == 0, q.value <= 1_000 else {
                throw .fractionalDevices(resource: name, quantity: q.description)
            }
            if q.value > 0 { out[profile] = Int(q.value) }
        }
        return out
    }

    /// `true` when any `nvidia.com/mig-*` request is above zero.
    public var requestsMIG: Bool {
        resources.contains { MIGProfile.resourceFormProfile(ofResource: $0.key) != nil && $0.value > .zero }
    }

    /// The virtual resource `n8s.nebuly.ai/gpu-memory` in GB (design.md section 3): the profile
    /// memory of each requested MIG device (from the profile name, e.g. 20 for `3g.20gb`) plus
    /// `nvidia.com/gpu` × `gpuMemoryPerGPU`.
    /// - Throws: ``RequestError/fractionalDevices(resource:quantity:)`` as ``migDevices()``.
    public func gpuMemoryGB(gpuMemoryPerGPU: Int = 32) throws(RequestError) -> Int {
        var total = 0
        for (profile, count) in try migDevices() {
            let gb = ProfileGrammar.parse(profile[...])?.gb ?? 0
            total += gb * count
        }
        let gpus = self["nvidia.com/gpu"]
        guard !gpus.isNegative, gpus.nanos % 1_000_000_000 == 0 else {
            throw .fractionalDevices(resource: "nvidia.com/gpu", quantity: gpus.description)
        }
        return total + Int(gpus.value) * gpuMemoryPerGPU
    }

    static func maximize(_ values: [String: Quantity], into result: inout [String: Quantity]) {
        for (k, v) in values where v > (result[k] ?? .zero) || result[k] == nil { result[k] = v }
    }
}

/// Why a pod's requests cannot be used.
public enum RequestError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A device resource asks for a fraction or a negative number of devices.
    case fractionalDevices(resource: String, quantity: String)
    /// The sum of a resource over the pod's containers leaves the range of ``Quantity``.
    case overflow(resource: String)

    public var description: String {
        switch self {
        case .fractionalDevices(let r, let q): "resource '\(r)' must be a whole, non-negative number of devices, got '\(q)'"
        case .overflow(let r): "the pod's request of resource '\(r)' is too large to add up (over 1.7e29)"
        }
    }
}
