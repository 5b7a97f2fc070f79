import Foundation
import KubeCore

/// An `n8s.nebuly.ai/v1alpha1` ElasticQuota: guaranteed (`min`) and capped (`max`) resources for
/// the pods of its own namespace (docs/design.md sections 3 and 6).
///
/// Maps are resource name to quantity. Only the resources named in `min` or `max` are limited; a
/// resource in `min` but not in `max`, or a quota without `max`, is unlimited (never 0).
/// Fields n8s does not model are kept in `unknownFields` and written back unchanged.
public struct ElasticQuota: Resource {
    public static let apiVersion = QuotaNames.apiVersion
    public static let kind = "ElasticQuota"
    public static let plural = "elasticquotas"
    public static let isNamespaced = true

    public var metadata: ObjectMeta
    public var spec: Spec
    public var status: Status?
    public var unknownFields: JSONObject = [:]

    public init(metadata: ObjectMeta, spec: Spec = Spec(), status: Status? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    /// What the quota guarantees and caps.
    public struct Spec: Sendable, Hashable, Codable {
        /// Guaranteed amounts: capacity reclaimed from borrowers when this quota needs it.
        public var min: [String: Quantity]?
        /// Caps; `nil` (or a resource missing from it) is unlimited.
        public var max: [String: Quantity]?
        public var unknownFields: JSONObject = [:]

        public init(min: [String: Quantity]? = nil, max: [String: Quantity]? = nil) {
            self.min = min
            self.max = max
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case min, max }

        public init(from decoder: any Decoder) throws {
            let c = try ModelDecoding(decoder, CodingKeys.self)
            min = try c(.min)
            max = try c(.max)
            unknownFields = c.unknown
        }

        public func encode(to encoder: any Encoder) throws {
            var c = try ModelEncoding(encoder, CodingKeys.self, unknown: unknownFields)
            try c(.min, min)
            try c(.max, max)
        }
    }

    /// What the operator observed; written only through the status subresource.
    public struct Status: Sendable, Hashable, Codable {
        /// Requests of the quota's Running pods, for every resource named in `min` or `max` (zero included).
        public var used: [String: Quantity]?
        /// `Conflict` when an older quota already holds one of its namespaces.
        public var conditions: [QuotaCondition]?
        public var unknownFields: JSONObject = [:]

        public init(used: [String: Quantity]? = nil, conditions: [QuotaCondition]? = nil) {
            self.used = used
            self.conditions = conditions
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case used, conditions }

        public init(from decoder: any Decoder) throws {
            let c = try ModelDecoding(decoder, CodingKeys.self)
            used = try c(.used)
            conditions = try c(.conditions)
            unknownFields = c.unknown
        }

        public func encode(to encoder: any Encoder) throws {
            var c = try ModelEncoding(encoder, CodingKeys.self, unknown: unknownFields)
            try c(.used, used)
            try c(.conditions, omittingEmpty: conditions)
        }
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case apiVersion, kind, metadata, spec, status }

    public init(from decoder: any Decoder) throws {
        let c = try ModelDecoding(decoder, CodingKeys.self)
        metadata = try c(.metadata, default: ObjectMeta())
        spec = try c(.spec, default: Spec())
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

/// One entry of a quota's `status.conditions` (`meta/v1 Condition`).
public struct QuotaCondition: Sendable, Hashable, Codable {
    /// `Conflict` (``QuotaNames/conflictCondition``).
    public var type: String
    /// `True`, `False` or `Unknown`.
    public var status: String
    public var reason: String?
    public var message: String?
    public var lastTransitionTime: Date?
    public var observedGeneration: Int64?
    public var unknownFields: JSONObject = [:]

    public init(type: String, status: String, reason: String? = nil, message: String? = nil, lastTransitionTime: Date? = nil) {
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
        self.lastTransitionTime = lastTransitionTime
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case type, status, reason, message, lastTransitionTime, observedGeneration }

    public init(from decoder: any Decoder) throws {
        let c = try ModelDecoding(decoder, CodingKeys.self)
        type = try c(.type, default: "")
        status = try c(.status, default: "Unknown")
        reason = try c(.reason)
        message = try c(.message)
        lastTransitionTime = try c(.lastTransitionTime)
        observedGeneration = try c(.observedGeneration)
        unknownFields = c.unknown
    }

    public func encode(to encoder: any Encoder) throws {
        var c = try ModelEncoding(encoder, CodingKeys.self, unknown: unknownFields)
        try c(.type, type)
        try c(.status, status)
        try c(.reason, reason)
        try c(.message, message)
        try c(.lastTransitionTime, lastTransitionTime)
        try c(.observedGeneration, observedGeneration)
    }
}
