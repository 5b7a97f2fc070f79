import Foundation

/// A coordination.k8s.io/v1 Lease, as leader election uses it.
public struct Lease: Resource {
    public static let apiVersion = "coordination.k8s.io/v1"
    public static let kind = "Lease"
    public static let plural = "leases"
    public static let isNamespaced = true

    public var metadata: ObjectMeta
    public var spec: Spec?
    public var unknownFields: JSONObject = [:]

    public init(metadata: ObjectMeta, spec: Spec? = nil) {
        self.metadata = metadata
        self.spec = spec
    }

    /// Times are `metav1.MicroTime` (microseconds) on the wire.
    public struct Spec: Sendable, Hashable, Codable {
        public var holderIdentity: String?
        public var leaseDurationSeconds: Int32?
        public var acquireTime: MicroTime?
        public var renewTime: MicroTime?
        public var leaseTransitions: Int32?

        public init(holderIdentity: String? = nil, leaseDurationSeconds: Int32? = nil, acquireTime: MicroTime? = nil, renewTime: MicroTime? = nil, leaseTransitions: Int32? = nil) {
            self.holderIdentity = holderIdentity
            self.leaseDurationSeconds = leaseDurationSeconds
            self.acquireTime = acquireTime
            self.renewTime = renewTime
            self.leaseTransitions = leaseTransitions
        }
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case apiVersion, kind, metadata, spec }

    public init(from decoder: any Decoder) throws {
        let c = try ModelDecoding(decoder, CodingKeys.self)
        metadata = try c(.metadata, default: ObjectMeta())
        spec = try c(.spec)
        unknownFields = c.unknown
    }

    public func encode(to encoder: any Encoder) throws {
        var c = try ModelEncoding(encoder, CodingKeys.self, unknown: unknownFields)
        try c(.apiVersion, Self.apiVersion)
        try c(.kind, Self.kind)
        try c(.metadata, metadata)
        try c(.spec, spec)
    }
}

/// A time with microsecond precision (`metav1.MicroTime`): `2026-11-29T06:31:02.123456Z`.
public struct MicroTime: Sendable, Hashable, Codable, Comparable {
    public var date: Date
    public init(_ date: Date) { self.date = date }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let text = try c.decode(String.self)
        guard let d = RFC3339.parse(text) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "'\(text)' is not an RFC 3339 time")
        }
        date = d
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(RFC3339.formatMicro(date))
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.date < rhs.date }
}
