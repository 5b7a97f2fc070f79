import Foundation

/// A core/v1 Node: the fields n8s reads or writes; `nodeInfo`, `addresses` and the rest are kept.
public struct Node: Resource {
    public static let apiVersion = "v1"
    public static let kind = "Node"
    public static let plural = "nodes"
    public static let isNamespaced = false

    public var metadata: ObjectMeta
    public var spec: NodeSpec?
    public var status: NodeStatus?
    public var unknownFields: JSONObject = [:]

    public init(metadata: ObjectMeta, spec: NodeSpec? = nil, status: NodeStatus? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case apiVersion, kind, metadata, spec, status }

    public init(from decoder: any Decoder) throws {
        let c = try ModelDecoding(decoder, CodingKeys.self)
        metadata = try c(.metadata, default: ObjectMeta())
        spec = try c(.spec)
        status = try c(.status)
        unknownFields = c.unknown
    }

    public func encode(to encoder: any Encoder) throws {
        var c = try ModelEncoding(encoder, CodingKeys.self, unknown: unknownFields)
        try c(.apiVersion, Self.apiVersion)
        try c(.kind, Self.kind)
        try c(.metadata, metadata)
        try c(.spec, spec)
        try c(.status, status)
    }

    /// `true` when the `Ready` condition is `True`.
    public var isReady: Bool { status?.conditions?.first { $0.type == "Ready" }?.status == "True" }
    /// `true` when cordoned (`kubectl cordon`).
    public var isUnschedulable: Bool { spec?.unschedulable ?? false }
}

public struct NodeSpec: Sendable, Hashable, Codable {
    public var unschedulable: Bool?
    public var taints: [Taint]?
    public var providerID: String?
    public var unknownFields: JSONObject = [:]

    public init(unschedulable: Bool? = nil, taints: [Taint]? = nil) {
        self.unschedulable = unschedulable
        self.taints = taints
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case unschedulable, taints, providerID }

    public init(from decoder: any Decoder) throws {
        let c = try ModelDecoding(decoder, CodingKeys.self)
        unschedulable = try c(.unschedulable)
        taints = try c(.taints)
        providerID = try c(.providerID)
        unknownFields = c.unknown
    }

    public func encode(to encoder: any Encoder) throws {
        var c = try ModelEncoding(encoder, CodingKeys.self, unknown: unknownFields)
        try c(.unschedulable, unschedulable)
        try c(.taints, omittingEmpty: taints)
        try c(.providerID, providerID)
    }
}

public struct NodeStatus: Sendable, Hashable, Codable {
    /// Everything the node has, by resource name.
    public var capacity: [String: Quantity]?
    /// What pods may request: capacity less system reservations. Device plugins advertise here.
    public var allocatable: [String: Quantity]?
    public var conditions: [NodeCondition]?
    public var unknownFields: JSONObject = [:]

    public init(capacity: [String: Quantity]? = nil, allocatable: [String: Quantity]? = nil, conditions: [NodeCondition]? = nil) {
        self.capacity = capacity
        self.allocatable = allocatable
        self.conditions = conditions
    }

    public func condition(_ type: String) -> NodeCondition? { conditions?.first { $0.type == type } }

    /// Replaces the condition of the same type, or appends it.
    public mutating func setCondition(_ condition: NodeCondition) {
        var list = conditions ?? []
        if let i = list.firstIndex(where: { $0.type == condition.type }) { list[i] = condition } else { list.append(condition) }
        conditions = list
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case capacity, allocatable, conditions }

    public init(from decoder: any Decoder) throws {
        let c = try ModelDecoding(decoder, CodingKeys.self)
        capacity = try c(.capacity)
        allocatable = try c(.allocatable)
        conditions = try c(.conditions)
        unknownFields = c.unknown
    }

    public func encode(to encoder: any Encoder) throws {
        var c = try ModelEncoding(encoder, CodingKeys.self, unknown: unknownFields)
        try c(.capacity, omittingEmpty: capacity)
        try c(.allocatable, omittingEmpty: allocatable)
        try c(.conditions, omittingEmpty: conditions)
    }
}

/// One entry of a node's `status.conditions` (`Ready`, `N8sMigAgent`, ...).
public struct NodeCondition: Sendable, Hashable, Codable {
    public var type: String
    /// `True`, `False` or `Unknown`.
    public var status: String
    public var reason: String?
    public var message: String?
    public var lastHeartbeatTime: Date?
    public var lastTransitionTime: Date?
    public var unknownFields: JSONObject = [:]

    public init(type: String, status: String, reason: String? = nil, message: String? = nil, lastTransitionTime: Date? = nil) {
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
        self.lastTransitionTime = lastTransitionTime
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case type, status, reason, message, lastHeartbeatTime, lastTransitionTime }

    public init(from decoder: any Decoder) throws {
        let c = try ModelDecoding(decoder, CodingKeys.self)
        type = try c(.type, default: "")
        status = try c(.status, default: "Unknown")
        reason = try c(.reason)
        message = try c(.message)
        lastHeartbeatTime = try c(.lastHeartbeatTime)
        lastTransitionTime = try c(.lastTransitionTime)
        unknownFields = c.unknown
    }

    public func encode(to encoder: any Encoder) throws {
        var c = try ModelEncoding(encoder, CodingKeys.self, unknown: unknownFields)
        try c(.type, type)
        try c(.status, status)
        try c(.reason, reason)
        try c(.message, message)
        try c(.lastHeartbeatTime, lastHeartbeatTime)
        try c(.lastTransitionTime, lastTransitionTime)
    }
}
