import Foundation

/// The encoders and decoders every Kubernetes body goes through.
///
/// Keys are sorted so bodies are byte-stable (tests compare them, and patches hash them);
/// slashes are not escaped, since label keys such as `n8s.nebuly.ai/capacity` are read by people.
public enum KubeJSON {
    public static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(RFC3339.format(date))
        }
        return e
    }

    public static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .custom { decoder in
            let c = try decoder.singleValueContainer()
            let text = try c.decode(String.self)
            guard let date = RFC3339.parse(text) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "'\(text)' is not an RFC 3339 time")
            }
            return date
        }
        return d
    }

    public static func encode(_ value: some Encodable) throws -> Data { try encoder().encode(value) }

    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try decoder().decode(type, from: data)
    }

    /// Converts a typed value to its JSON tree (the form `KubeSim` stores).
    public static func value(of encodable: some Encodable) throws -> JSONValue {
        try decode(JSONValue.self, from: encode(encodable))
    }

    /// Converts a JSON tree to a typed value.
    public static func typed<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        try decode(type, from: encode(value))
    }
}

/// RFC 3339 times as Kubernetes writes them: `metav1.Time` is whole seconds in UTC
/// (`2026-11-29T06:31:02Z`); `metav1.MicroTime` (Lease renew times, events.k8s.io) has microseconds.
public enum RFC3339 {
    public static func format(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false).timeZone(separator: .omitted))
            .replacingOccurrences(of: "+0000", with: "Z")
    }

    /// Microsecond precision, as `metav1.MicroTime` is written: `2026-11-29T06:31:02.123456Z`.
    public static func formatMicro(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        let micros = Int(((date.timeIntervalSince1970 - seconds) * 1_000_000).rounded(.down))
        let base = format(Date(timeIntervalSince1970: seconds)).dropLast()  // drop "Z"
        return "\(base).\(String(format: "%06d", micros))Z"
    }

    /// Parses whole-second and fractional forms, with `Z` or a numeric offset.
    public static func parse(_ text: String) -> Date? {
        if let d = try? Date(text, strategy: .iso8601) { return d }
        let fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        if let d = try? Date(text, strategy: fractional) { return d }
        // Foundation's parser accepts at most millisecond fractions on some platforms: cut the rest.
        if let dot = text.firstIndex(of: "."), let end = text[dot...].firstIndex(where: { $0 == "Z" || $0 == "+" || $0 == "-" }) {
            let digits = text[text.index(after: dot)..<end]
            let fraction = Double("0." + digits) ?? 0
            let whole = String(text[..<dot]) + String(text[end...])
            if let d = try? Date(whole, strategy: .iso8601) { return d.addingTimeInterval(fraction) }
        }
        return nil
    }
}
