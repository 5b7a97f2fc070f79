import Foundation

/// A pod's scheduling constraints (core/v1 `Affinity`); only required node affinity is modelled,
/// pod (anti-)affinity and preferences are kept unmodelled.
public struct Affinity: Sendable, Hashable, Codable {
    public var nodeAffinity: NodeAffinity?
    public var unknownFields: JSONObject = [:]

    public init(nodeAffinity: NodeAffinity? = nil) { self.nodeAffinity = nodeAffinity }

    enum CodingKeys: String, CodingKey, CaseIterable { case nodeAffinity }

    public init(from decoder: any Decoder) throws {
        let c = try ModelDecoding(decoder, CodingKeys.self)
        nodeAffinity = try c(.nodeAffinity)
        unknownFields = c.unknown
    }

    public func encode(to encoder: any Encoder) throws {
        var c = try ModelEncoding(encoder, CodingKeys.self, unknown: unknownFields)
        try c(.nodeAffinity, nodeAffinity)
    }
}

/// Node affinity; `preferredDuringSchedulingIgnoredDuringExecution` is kept unmodelled.
public struct NodeAffinity: Sendable, Hashable, Codable {
    /// The node must match at least one term (terms are ORed).
    public var requiredDuringSchedulingIgnoredDuringExecution: NodeSelector?
    public var unknownFields: JSONObject = [:]

    public init(required: NodeSelector? = nil) { requiredDuringSchedulingIgnoredDuringExecution = required }

    enum CodingKeys: String, CodingKey, CaseIterable { case requiredDuringSchedulingIgnoredDuringExecution }

    public init(from decoder: any Decoder) throws {
        let c = try ModelDecoding(decoder, CodingKeys.self)
        requiredDuringSchedulingIgnoredDuringExecution = try c(.requiredDuringSchedulingIgnoredDuringExecution)
        unknownFields = c.unknown
    }

    public func encode(to encoder: any Encoder) throws {
        var c = try ModelEncoding(encoder, CodingKeys.self, unknown: unknownFields)
        try c(.requiredDuringSchedulingIgnoredDuringExecution, requiredDuringSchedulingIgnoredDuringExecution)
    }
}

/// Terms ORed together; each term's requirements are ANDed (core/v1 `NodeSelector`).
public struct NodeSelector: Sendable, Hashable, Codable {
    public var nodeSelectorTerms: [NodeSelectorTerm]
    public init(nodeSelectorTerms: [NodeSelectorTerm]) { self.nodeSelectorTerms = nodeSelectorTerms }
}

public struct NodeSelectorTerm: Sendable, Hashable, Codable {
    /// Requirements on node labels.
    public var matchExpressions: [NodeSelectorRequirement]?
    /// Requirements on node fields; Kubernetes supports only `metadata.name`.
    public var matchFields: [NodeSelectorRequirement]?

    public init(matchExpressions: [NodeSelectorRequirement]? = nil, matchFields: [NodeSelectorRequirement]? = nil) {
        self.matchExpressions = matchExpressions
        self.matchFields = matchFields
    }
}

/// `key operator values`: operators `In`, `NotIn`, `Exists`, `DoesNotExist`, `Gt`, `Lt`.
public struct NodeSelectorRequirement: Sendable, Hashable, Codable {
    public var key: String
    public var `operator`: String
    public var values: [String]?

    public init(key: String, operator op: String, values: [String]? = nil) {
        self.key = key
        self.operator = op
        self.values = values
    }
}

/// Lets a pod run on nodes with a matching taint (core/v1 `Toleration`).
public struct Toleration: Sendable, Hashable, Codable {
    /// Empty with operator `Exists` tolerates every taint.
    public var key: String?
    /// `Equal` (default) or `Exists`.
    public var `operator`: String?
    public var value: String?
    /// Empty matches every effect; else `NoSchedule`, `PreferNoSchedule` or `NoExecute`.
    public var effect: String?
    public var tolerationSeconds: Int64?

    public init(key: String? = nil, operator op: String? = nil, value: String? = nil, effect: String? = nil) {
        self.key = key
        self.operator = op
        self.value = value
        self.effect = effect
    }
}

/// Repels pods that do not tolerate it (core/v1 `Taint`).
public struct Taint: Sendable, Hashable, Codable {
    public var key: String
    public var value: String?
    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute`.
    public var effect: String
    public var timeAdded: Date?

    public init(key: String, value: String? = nil, effect: String) {
        self.key = key
        self.value = value
        self.effect = effect
    }
}
