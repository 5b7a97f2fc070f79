/// A core/v1 Namespace; `spec` and `status` are kept unmodelled.
public struct Namespace: Resource {
    public static let apiVersion = "v1"
    public static let kind = "Namespace"
    public static let plural = "namespaces"
    public static let isNamespaced = false

    public var metadata: ObjectMeta
    public var unknownFields: JSONObject = [:]

    public init(metadata: ObjectMeta) { self.metadata = metadata }

    enum CodingKeys: String, CodingKey, CaseIterable { case apiVersion, kind, metadata }

    public init(from decoder: any Decoder) throws {
        let c = try ModelDecoding(decoder, CodingKeys.self)
        metadata = try c(.metadata, default: ObjectMeta())
        unknownFields = c.unknown
    }

    public func encode(to encoder: any Encoder) throws {
        var c = try ModelEncoding(encoder, CodingKeys.self, unknown: unknownFields)
        try c(.apiVersion, Self.apiVersion)
        try c(.kind, Self.kind)
        try c(.metadata, metadata)
    }
}

/// A core/v1 ConfigMap: string data by key (`binaryData` is kept unmodelled).
public struct ConfigMap: Resource {
    public static let apiVersion = "v1"
    public static let kind = "ConfigMap"
    public static let plural = "configmaps"
    public static let isNamespaced = true

    public var metadata: ObjectMeta
    public var data: [String: String]?
    public var unknownFields: JSONObject = [:]

    public init(metadata: ObjectMeta, data: [String: String]? = nil) {
        self.metadata = metadata
        self.data = data
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case apiVersion, kind, metadata, data }

    public init(from decoder: any Decoder) throws {
        let c = try ModelDecoding(decoder, CodingKeys.self)
        metadata = try c(.metadata, default: ObjectMeta())
        data = try c(.data)
        unknownFields = c.unknown
    }

    public func encode(to encoder: any Encoder) throws {
        var c = try ModelEncoding(encoder, CodingKeys.self, unknown: unknownFields)
        try c(.apiVersion, Self.apiVersion)
        try c(.kind, Self.kind)
        try c(.metadata, metadata)
        try c(.data, data)
    }
}
