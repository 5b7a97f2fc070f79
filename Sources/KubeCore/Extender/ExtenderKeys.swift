/// Reads an `extender/v1` object whose keys may come in any letter case (Go's `encoding/json`
/// matches field names case-insensitively, so `nodenames` and `nodeNames` both mean `NodeNames`).
/// An exact match wins over a case-insensitive one; unknown keys are ignored, as Go does.
struct ExtenderKeys<Key: CodingKey & CaseIterable> {
    private let container: KeyedDecodingContainer<AnyKey>
    private let byLowercase: [String: AnyKey]

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(_ decoder: any Decoder, _ keys: Key.Type) throws {
        container = try decoder.container(keyedBy: AnyKey.self)
        var map: [String: AnyKey] = [:]
        for key in container.allKeys where map[key.stringValue.lowercased()] == nil { map[key.stringValue.lowercased()] = key }
        byLowercase = map
    }

    private func key(_ key: Key) -> AnyKey? {
        let exact = AnyKey(stringValue: key.stringValue)
        if container.contains(exact) { return exact }
        return byLowercase[key.stringValue.lowercased()]
    }

    /// The value, or `nil` when absent or JSON `null`.
    func optional<T: Decodable>(_ key: Key, _ type: T.Type) throws -> T? {
        guard let k = self.key(key) else { return nil }
        return try container.decodeIfPresent(T.self, forKey: k)
    }

    /// - Throws: `DecodingError.keyNotFound` when absent or `null`.
    func require<T: Decodable>(_ key: Key, _ type: T.Type) throws -> T {
        guard let value = try optional(key, type) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: container.codingPath, debugDescription: "\(key.stringValue) is required"))
        }
        return value
    }
}
