import Foundation
import KubeCore

/// An `n8s.nebuly.ai/v1alpha1` CompositeElasticQuota: one `min`/`max` shared by the pods of
/// several namespaces (docs/design.md sections 3 and 6). Each pod counts once, in the quota of its
/// namespace. Same map semantics as ``ElasticQuota``.
public struct CompositeElasticQuota: Resource {
    public static let apiVersion = QuotaNames.apiVersion
    public static let kind = "CompositeElasticQuota"
    public static let plural = "compositeelasticquotas"
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

    /// The namespaces covered, and what they share.
    public struct Spec: Sendable, Hashable, Codable {
        /// Namespaces whose pods the quota counts: at least one, no duplicates.
        public var namespaces: [String]
        public var min: [String: Quantity]?
        public var max: [String: Quantity]?
        public var unknownFields: JSONObject = [:]

        public init(namespaces: [String] = [], min: [String: Quantity]? = nil, max: [String: Quantity]? = nil) {
            self.namespaces = namespaces
            self.min = min
            self.max = max
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case namespaces, min, max }

        public init(from decoder: any Decoder) throws {
            let c = try ModelDecoding(decoder, CodingKeys.self)
            namespaces = try c(.namespaces, default: [])
            min = try c(.min)
            max = try c(.max)
            unknownFields = c.unknown
        }

        public func encode(to encoder: any Encoder) throws {
            var c = try ModelEncoding(encoder, CodingKeys.self, unknown: unknownFields)
            try c(.namespaces, namespaces)
            try c(.min, min)
            try c(.max, max)
        }
    }

    /// Same shape as an ElasticQuota's status.
    public typealias Status = ElasticQuota.Status

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
