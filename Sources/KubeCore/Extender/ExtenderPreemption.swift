import Foundation

/// The body of `preempt`: the pod kube-scheduler wants to place, and per candidate node the pods
/// its default preemption would evict there.
///
/// With `nodeCacheCapable: true` the scheduler sends ``nodeNameToMetaVictims`` (victims by UID);
/// otherwise ``nodeNameToVictims`` (victims as whole pods).
public struct ExtenderPreemptionArgs: Sendable, Codable {
    public var pod: Pod
    public var nodeNameToVictims: [String: ExtenderVictims]?
    public var nodeNameToMetaVictims: [String: ExtenderMetaVictims]?

    public init(pod: Pod, nodeNameToVictims: [String: ExtenderVictims]? = nil, nodeNameToMetaVictims: [String: ExtenderMetaVictims]? = nil) {
        self.pod = pod
        self.nodeNameToVictims = nodeNameToVictims
        self.nodeNameToMetaVictims = nodeNameToMetaVictims
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case pod = "Pod", nodeNameToVictims = "NodeNameToVictims", nodeNameToMetaVictims = "NodeNameToMetaVictims"
    }

    public init(from decoder: any Decoder) throws {
        let c = try ExtenderKeys(decoder, CodingKeys.self)
        pod = try c.require(.pod, Pod.self)
        nodeNameToVictims = try c.optional(.nodeNameToVictims, [String: ExtenderVictims].self)
        nodeNameToMetaVictims = try c.optional(.nodeNameToMetaVictims, [String: ExtenderMetaVictims].self)
    }
}

/// Go's `extenderv1.Victims`: the pods to evict on one node, and how many of those evictions
/// violate a PodDisruptionBudget.
public struct ExtenderVictims: Sendable, Codable {
    public var pods: [Pod]
    public var numPDBViolations: Int64

    public init(pods: [Pod], numPDBViolations: Int64 = 0) {
        self.pods = pods
        self.numPDBViolations = numPDBViolations
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case pods = "Pods", numPDBViolations = "NumPDBViolations" }

    public init(from decoder: any Decoder) throws {
        let c = try ExtenderKeys(decoder, CodingKeys.self)
        pods = try c.optional(.pods, [Pod].self) ?? []
        numPDBViolations = try c.optional(.numPDBViolations, Int64.self) ?? 0
    }
}

/// Go's `extenderv1.MetaVictims`: the victims on one node by UID.
public struct ExtenderMetaVictims: Sendable, Codable, Hashable {
    public var pods: [ExtenderMetaPod]
    public var numPDBViolations: Int64

    public init(pods: [ExtenderMetaPod], numPDBViolations: Int64 = 0) {
        self.pods = pods
        self.numPDBViolations = numPDBViolations
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case pods = "Pods", numPDBViolations = "NumPDBViolations" }

    public init(from decoder: any Decoder) throws {
        let c = try ExtenderKeys(decoder, CodingKeys.self)
        pods = try c.optional(.pods, [ExtenderMetaPod].self) ?? []
        numPDBViolations = try c.optional(.numPDBViolations, Int64.self) ?? 0
    }
}

/// Go's `extenderv1.MetaPod`: a pod by UID.
public struct ExtenderMetaPod: Sendable, Codable, Hashable {
    public var uid: String

    public init(uid: String) { self.uid = uid }

    enum CodingKeys: String, CodingKey, CaseIterable { case uid = "UID" }

    public init(from decoder: any Decoder) throws {
        uid = try ExtenderKeys(decoder, CodingKeys.self).require(.uid, String.self)
    }
}

/// The answer to `preempt`: the nodes and victims the extender accepts, a subset of those sent.
///
/// The Go type has no error field; an extender that cannot answer replies with a non-200 status,
/// which kube-scheduler treats as the extender's failure (skipped when `ignorable`). ``error`` is
/// n8s's addition for such replies and for logs; Go ignores it.
public struct ExtenderPreemptionResult: Sendable, Codable {
    public var nodeNameToMetaVictims: [String: ExtenderMetaVictims]
    public var error: String?

    public init(nodeNameToMetaVictims: [String: ExtenderMetaVictims] = [:], error: String? = nil) {
        self.nodeNameToMetaVictims = nodeNameToMetaVictims
        self.error = error
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case nodeNameToMetaVictims = "NodeNameToMetaVictims", error = "Error" }

    public init(from decoder: any Decoder) throws {
        let c = try ExtenderKeys(decoder, CodingKeys.self)
        nodeNameToMetaVictims = try c.optional(.nodeNameToMetaVictims, [String: ExtenderMetaVictims].self) ?? [:]
        error = try c.optional(.error, String.self)
    }
}
