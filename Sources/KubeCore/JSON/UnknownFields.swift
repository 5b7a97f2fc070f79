import Foundation

/// A coding key for any member name: used to read and write members a model does not declare.
public struct AnyCodingKey: CodingKey, Hashable, Sendable {
    public var stringValue: String
    public var intValue: Int? { nil }
    public init(_ string: String) { stringValue = string }
    public init?(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
}

/// Reads one model's declared members and keeps every other member as JSON.
///
/// Models decode through this so that a read-modify-write never drops fields n8s does not model
/// (a container's `image`, a node's `nodeInfo`, fields added by newer Kubernetes releases).
/// Absent and `null` members both read as `nil`, as Kubernetes' Go decoder does.
public struct ModelDecoding<Key: CodingKey & CaseIterable> {
    private let container: KeyedDecodingContainer<Key>
    /// Members whose names are not among `Key`'s cases, in wire form.
    public let unknown: JSONObject

    public init(_ decoder: any Decoder, _ keys: Key.Type) throws {
        container = try decoder.container(keyedBy: Key.self)
        let all = try decoder.container(keyedBy: AnyCodingKey.self)
        let known = Set(Key.allCases.map(\.stringValue))
        var unknown: JSONObject = [:]
        for key in all.allKeys where !known.contains(key.stringValue) {
            unknown[key.stringValue] = try all.decode(JSONValue.self, forKey: key)
        }
        self.unknown = unknown
    }

    /// An optional member.
    public func callAsFunction<T: Decodable>(_ key: Key) throws -> T? {
        try container.decodeIfPresent(T.self, forKey: key)
    }

    /// An optional member with a default for absent or `null`.
    public func callAsFunction<T: Decodable>(_ key: Key, default value: T) throws -> T {
        try container.decodeIfPresent(T.self, forKey: key) ?? value
    }
}

/// Writes one model's declared members, omitting `nil` ones (never `null` on the wire),
/// followed by the members it kept from decoding.
public struct ModelEncoding<Key: CodingKey> {
    private var container: KeyedEncodingContainer<Key>
    private var extra: KeyedEncodingContainer<AnyCodingKey>

    public init(_ encoder: any Encoder, _ keys: Key.Type, unknown: JSONObject) throws {
        container = encoder.container(keyedBy: Key.self)
        extra = encoder.container(keyedBy: AnyCodingKey.self)
        for (key, value) in unknown { try extra.encode(value, forKey: AnyCodingKey(key)) }
    }

    public mutating func callAsFunction<T: Encodable>(_ key: Key, _ value: T?) throws {
        try container.encodeIfPresent(value, forKey: key)
    }

    /// Omits empty collections too: Kubernetes' `omitempty` for maps and lists.
    public mutating func callAsFunction<T: Encodable & Collection>(_ key: Key, omittingEmpty value: T?) throws {
        guard let value, !value.isEmpty else { return }
        try container.encode(value, forKey: key)
    }
}
