import Foundation

/// A core/v1 Pod: the fields n8s reads or writes; all others are kept in `unknownFields`.
public struct Pod: Resource {
    public static let apiVersion = "v1"
    public static let kind = "Pod"
    public static let plural = "pods"
    public static let isNamespaced = true

    public var metadata: ObjectMeta
    public var spec: PodSpec
    public var status: PodStatus?
    public var unknownFields: JSONObject = [:]

    public init(metadata: ObjectMeta, spec: PodSpec = PodSpec(), status: PodStatus? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case apiVersion, kind, metadata, spec, status }

    public init(from decoder: any Decoder) throws {
        let c = try ModelDecoding(decoder, CodingKeys.self)
        metadata = try c(.metadata, default: ObjectMeta())
        spec = try c(.spec, default: PodSpec())
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
}

/// The desired state of a pod (core/v1 `PodSpec`).
public struct PodSpec: Sendable, Hashable, Codable {
    public var containers: [Container]
    public var initContainers: [Container]?
    /// Set when the pod is bound; empty while it waits for a scheduler.
    public var nodeName: String?
    public var nodeSelector: [String: String]?
    public var affinity: Affinity?
    public var tolerations: [Toleration]?
    /// `default-scheduler` when absent; n8s's quota profile is `n8s-scheduler`.
    public var schedulerName: String?
    public var priority: Int32?
    public var priorityClassName: String?
    /// Resources the runtime itself consumes per pod (RuntimeClass overhead); added to requests.
    public var overhead: [String: Quantity]?
    public var terminationGracePeriodSeconds: Int64?
    public var restartPolicy: String?
    public var unknownFields: JSONObject = [:]

    public init(containers: [Container] = [], nodeName: String? = nil, schedulerName: String? = nil) {
        self.containers = containers
        self.nodeName = nodeName
        self.schedulerName = schedulerName
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case containers, initContainers, nodeName, nodeSelector, affinity, tolerations, schedulerName
        case priority, priorityClassName, overhead, terminationGracePeriodSeconds, restartPolicy
    }

    public init(from decoder: any Decoder) throws {
        let c = try ModelDecoding(decoder, CodingKeys.self)
        containers = try c(.containers, default: [])
        initContainers = try c(.initContainers)
        nodeName = try c(.nodeName)
        nodeSelector = try c(.nodeSelector)
        affinity = try c(.affinity)
        tolerations = try c(.tolerations)
        schedulerName = try c(.schedulerName)
        priority = try c(.priority)
        priorityClassName = try c(.priorityClassName)
        overhead = try c(.overhead)
        terminationGracePeriodSeconds = try c(.terminationGracePeriodSeconds)
        restartPolicy = try c(.restartPolicy)
        unknownFields = c.unknown
    }

    public func encode(to encoder: any Encoder) throws {
        var c = try ModelEncoding(encoder, CodingKeys.self, unknown: unknownFields)
        try c(.containers, containers)
        try c(.initContainers, omittingEmpty: initContainers)
        try c(.nodeName, nodeName)
        try c(.nodeSelector, omittingEmpty: nodeSelector)
        try c(.affinity, affinity)
        try c(.tolerations, omittingEmpty: tolerations)
        try c(.schedulerName, schedulerName)
        try c(.priority, priority)
        try c(.priorityClassName, priorityClassName)
        try c(.overhead, omittingEmpty: overhead)
        try c(.terminationGracePeriodSeconds, terminationGracePeriodSeconds)
        try c(.restartPolicy, restartPolicy)
    }
}

/// One container of a pod (core/v1 `Container`); image, command and the rest are kept unmodelled.
public struct Container: Sendable, Hashable, Codable {
    public var name: String
    public var resources: ResourceRequirements?
    /// On an init container, `Always` makes it a native sidecar (Kubernetes 1.29+), which keeps
    /// running beside the app containers and so adds to their requests.
    public var restartPolicy: String?
    public var unknownFields: JSONObject = [:]

    public init(name: String, requests: [String: Quantity]? = nil, limits: [String: Quantity]? = nil) {
        self.name = name
        if requests != nil || limits != nil { resources = ResourceRequirements(requests: requests, limits: limits) }
    }

    public var isSidecar: Bool { restartPolicy == "Always" }

    enum CodingKeys: String, CodingKey, CaseIterable { case name, resources, restartPolicy }

    public init(from decoder: any Decoder) throws {
        let c = try ModelDecoding(decoder, CodingKeys.self)
        name = try c(.name, default: "")
        resources = try c(.resources)
        restartPolicy = try c(.restartPolicy)
        unknownFields = c.unknown
    }

    public func encode(to encoder: any Encoder) throws {
        var c = try ModelEncoding(encoder, CodingKeys.self, unknown: unknownFields)
        try c(.name, name)
        try c(.resources, resources)
        try c(.restartPolicy, restartPolicy)
    }
}

/// Requests and limits by resource name (`cpu`, `memory`, `nvidia.com/mig-1g.10gb`, ...).
public struct ResourceRequirements: Sendable, Hashable, Codable {
    public var requests: [String: Quantity]?
    public var limits: [String: Quantity]?
    public var unknownFields: JSONObject = [:]

    public init(requests: [String: Quantity]? = nil, limits: [String: Quantity]? = nil) {
        self.requests = requests
        self.limits = limits
    }

    /// Requests as the API server defaults them: a limit without a request is also the request.
    public var effectiveRequests: [String: Quantity] {
        var result = limits ?? [:]
        for (name, quantity) in requests ?? [:] { result[name] = quantity }
        return result
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case requests, limits }

    public init(from decoder: any Decoder) throws {
        let c = try ModelDecoding(decoder, CodingKeys.self)
        requests = try c(.requests)
        limits = try c(.limits)
        unknownFields = c.unknown
    }

    public func encode(to encoder: any Encoder) throws {
        var c = try ModelEncoding(encoder, CodingKeys.self, unknown: unknownFields)
        try c(.requests, omittingEmpty: requests)
        try c(.limits, omittingEmpty: limits)
    }
}

/// The observed state of a pod (core/v1 `PodStatus`).
public struct PodStatus: Sendable, Hashable, Codable {
    /// `Pending`, `Running`, `Succeeded`, `Failed` or `Unknown`.
    public var phase: String?
    public var conditions: [PodCondition]?
    /// Set by kube-scheduler's preemption: the node the pod waits for.
    public var nominatedNodeName: String?
    public var reason: String?
    public var message: String?
    public var startTime: Date?
    public var unknownFields: JSONObject = [:]

    public init(phase: String? = nil, conditions: [PodCondition]? = nil) {
        self.phase = phase
        self.conditions = conditions
    }

    /// `true` for `Succeeded` and `Failed`: the pod holds no resources any more.
    public var isTerminal: Bool { phase == "Succeeded" || phase == "Failed" }

    public func condition(_ type: String) -> PodCondition? { conditions?.first { $0.type == type } }

    /// Replaces the condition of the same type, or appends it.
    public mutating func setCondition(_ condition: PodCondition) {
        var list = conditions ?? []
        if let i = list.firstIndex(where: { $0.type == condition.type }) { list[i] = condition } else { list.append(condition) }
        conditions = list
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case phase, conditions, nominatedNodeName, reason, message, startTime }

    public init(from decoder: any Decoder) throws {
        let c = try ModelDecoding(decoder, CodingKeys.self)
        phase = try c(.phase)
        conditions = try c(.conditions)
        nominatedNodeName = try c(.nominatedNodeName)
        reason = try c(.reason)
        message = try c(.message)
        startTime = try c(.startTime)
        unknownFields = c.unknown
    }

    public func encode(to encoder: any Encoder) throws {
        var c = try ModelEncoding(encoder, CodingKeys.self, unknown: unknownFields)
        try c(.phase, phase)
        try c(.conditions, omittingEmpty: conditions)
        try c(.nominatedNodeName, nominatedNodeName)
        try c(.reason, reason)
        try c(.message, message)
        try c(.startTime, startTime)
    }
}

/// One entry of `status.conditions` of a pod (`PodScheduled`, `Ready`, ...).
public struct PodCondition: Sendable, Hashable, Codable {
    public var type: String
    /// `True`, `False` or `Unknown`.
    public var status: String
    public var reason: String?
    public var message: String?
    public var lastTransitionTime: Date?
    public var lastProbeTime: Date?
    public var unknownFields: JSONObject = [:]

    public init(type: String, status: String, reason: String? = nil, message: String? = nil, lastTransitionTime: Date? = nil) {
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
        self.lastTransitionTime = lastTransitionTime
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case type, status, reason, message, lastTransitionTime, lastProbeTime }

    public init(from decoder: any Decoder) throws {
        let c = try ModelDecoding(decoder, CodingKeys.self)
        type = try c(.type, default: "")
        status = try c(.status, default: "Unknown")
        reason = try c(.reason)
        message = try c(.message)
        lastTransitionTime = try c(.lastTransitionTime)
        lastProbeTime = try c(.lastProbeTime)
        unknownFields = c.unknown
    }

    public func encode(to encoder: any Encoder) throws {
        var c = try ModelEncoding(encoder, CodingKeys.self, unknown: unknownFields)
        try c(.type, type)
        try c(.status, status)
        try c(.reason, reason)
        try c(.message, message)
        try c(.lastTransitionTime, lastTransitionTime)
        try c(.lastProbeTime, lastProbeTime)
    }
}
