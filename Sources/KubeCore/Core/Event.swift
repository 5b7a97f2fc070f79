import Foundation

/// A core/v1 Event: what happened to an object, aggregated by the recorder (`count`).
public struct Event: Resource {
    public static let apiVersion = "v1"
    public static let kind = "Event"
    public static let plural = "events"
    public static let isNamespaced = true

    public var metadata: ObjectMeta
    public var involvedObject: ObjectReference
    /// Short UpperCamelCase cause, e.g. `Planned`, `PlanFailed`.
    public var reason: String?
    public var message: String?
    /// `Normal` or `Warning`.
    public var type: String?
    public var count: Int32?
    public var firstTimestamp: Date?
    public var lastTimestamp: Date?
    public var source: EventSource?
    public var reportingComponent: String?
    public var reportingInstance: String?
    public var action: String?
    public var unknownFields: JSONObject = [:]

    public init(metadata: ObjectMeta, involvedObject: ObjectReference, reason: String?, message: String?, type: String? = "Normal") {
        self.metadata = metadata
        self.involvedObject = involvedObject
        self.reason = reason
        self.message = message
        self.type = type
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case apiVersion, kind, metadata, involvedObject, reason, message, type, count, firstTimestamp, lastTimestamp
        case source, reportingComponent, reportingInstance, action
    }

    public init(from decoder: any Decoder) throws {
        let c = try ModelDecoding(decoder, CodingKeys.self)
        metadata = try c(.metadata, default: ObjectMeta())
        involvedObject = try c(.involvedObject, default: ObjectReference())
        reason = try c(.reason)
        message = try c(.message)
        type = try c(.type)
        count = try c(.count)
        firstTimestamp = try c(.firstTimestamp)
        lastTimestamp = try c(.lastTimestamp)
        source = try c(.source)
        reportingComponent = try c(.reportingComponent)
        reportingInstance = try c(.reportingInstance)
        action = try c(.action)
        unknownFields = c.unknown
    }

    public func encode(to encoder: any Encoder) throws {
        var c = try ModelEncoding(encoder, CodingKeys.self, unknown: unknownFields)
        try c(.apiVersion, Self.apiVersion)
        try c(.kind, Self.kind)
        try c(.metadata, metadata)
        try c(.involvedObject, involvedObject)
        try c(.reason, reason)
        try c(.message, message)
        try c(.type, type)
        try c(.count, count)
        try c(.firstTimestamp, firstTimestamp)
        try c(.lastTimestamp, lastTimestamp)
        try c(.source, source)
        try c(.reportingComponent, reportingComponent)
        try c(.reportingInstance, reportingInstance)
        try c(.action, action)
    }
}

/// The component and host that reported an event.
public struct EventSource: Sendable, Hashable, Codable {
    public var component: String?
    public var host: String?
    public init(component: String? = nil, host: String? = nil) {
        self.component = component
        self.host = host
    }
}

/// A reference to an object (core/v1 `ObjectReference`), as events and bindings use it.
public struct ObjectReference: Sendable, Hashable, Codable {
    public var apiVersion: String?
    public var kind: String?
    public var namespace: String?
    public var name: String?
    public var uid: String?
    public var resourceVersion: String?
    public var fieldPath: String?

    public init(apiVersion: String? = nil, kind: String? = nil, namespace: String? = nil, name: String? = nil, uid: String? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.uid = uid
    }

    /// A reference to `object`, with its kind, name, namespace and uid.
    public init<R: Resource>(to object: R) {
        self.init(apiVersion: R.apiVersion, kind: R.kind, namespace: object.metadata.namespace, name: object.metadata.name, uid: object.metadata.uid)
    }
}
