import KubeCore
import Yams

/// Typed, path-aware reading of one YAML mapping of a scenario: every error names the field's
/// path (`pods[2].duration`) and line, and ``finish()`` rejects keys nobody read (typos are
/// errors, never ignored).
struct YAMLFields {
    let path: String
    private let mapping: Yams.Node.Mapping
    private var read: Set<String> = []

    /// - Throws: ``SimulationError/invalidField(field:reason:)`` when `node` is not a mapping.
    init(_ node: Yams.Node, path: String) throws(SimulationError) {
        guard let mapping = node.mapping else {
            throw .invalidField(field: path.isEmpty ? "(top level)" : path, reason: "must be a mapping\(Self.line(node))")
        }
        self.path = path
        self.mapping = mapping
    }

    func field(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    static func line(_ node: Yams.Node) -> String { node.mark.map { " (line \($0.line))" } ?? "" }

    /// The raw node, marking the key as known.
    mutating func node(_ key: String) -> Yams.Node? {
        read.insert(key)
        return mapping[key]
    }

    mutating func string(_ key: String) throws(SimulationError) -> String? {
        guard let node = node(key) else { return nil }
        guard let text = node.scalar?.string else { throw .invalidField(field: field(key), reason: "must be text\(Self.line(node))") }
        return text
    }

    mutating func requiredString(_ key: String) throws(SimulationError) -> String {
        guard let text = try string(key), !text.isEmpty else { throw .invalidField(field: field(key), reason: "is required") }
        return text
    }

    /// A whole number in `range`.
    mutating func int(_ key: String, in range: ClosedRange<Int> = 0...Int.max) throws(SimulationError) -> Int? {
        guard let node = node(key) else { return nil }
        guard let text = node.scalar?.string, let value = Int(text) else {
            throw .invalidField(field: field(key), reason: "must be a whole number\(Self.line(node))")
        }
        guard range.contains(value) else {
            let bound = range.upperBound == Int.max ? "≥ \(range.lowerBound)" : "within \(range.lowerBound)...\(range.upperBound)"
            throw .invalidField(field: field(key), reason: "must be \(bound), got \(value)\(Self.line(node))")
        }
        return value
    }

    /// A finite number above zero.
    mutating func positiveNumber(_ key: String) throws(SimulationError) -> Double? {
        guard let node = node(key) else { return nil }
        guard let text = node.scalar?.string, let value = Double(text), value.isFinite, value > 0 else {
            throw .invalidField(field: field(key), reason: "must be a number above 0\(Self.line(node))")
        }
        return value
    }

    mutating func bool(_ key: String) throws(SimulationError) -> Bool? {
        guard let node = node(key) else { return nil }
        switch node.scalar?.string.lowercased() {
        case "true": return true
        case "false": return false
        default: throw .invalidField(field: field(key), reason: "must be true or false\(Self.line(node))")
        }
    }

    /// A Go-style duration (``DurationText``), e.g. `90s`, `5m`, `1h30m`.
    mutating func duration(_ key: String) throws(SimulationError) -> Duration? {
        guard let node = node(key) else { return nil }
        guard let text = node.scalar?.string, let value = DurationText.parse(text) else {
            throw .invalidField(
                field: field(key),
                reason: "'\(node.scalar?.string ?? "?")' is not a duration (write e.g. 90s, 5m, 1h30m, 250ms)\(Self.line(node))"
            )
        }
        return value
    }

    /// A non-negative Kubernetes quantity, e.g. `500m`, `4`, `16Gi`.
    mutating func quantity(_ key: String) throws(SimulationError) -> Quantity? {
        guard let node = node(key) else { return nil }
        let text = node.scalar?.string ?? ""
        let value: Quantity
        do { value = try Quantity(parsing: text) } catch {
            throw .invalidField(field: field(key), reason: "'\(text)' is not a quantity (write e.g. 500m, 4, 16Gi)\(Self.line(node))")
        }
        guard !value.isNegative else { throw .invalidField(field: field(key), reason: "must not be negative, got '\(text)'\(Self.line(node))") }
        return value
    }

    /// The items of a list, each with its path (`pods[3]`).
    mutating func list(_ key: String) throws(SimulationError) -> [(node: Yams.Node, path: String)]? {
        guard let node = node(key) else { return nil }
        guard let sequence = node.sequence else { throw .invalidField(field: field(key), reason: "must be a list\(Self.line(node))") }
        return sequence.enumerated().map { ($0.element, "\(field(key))[\($0.offset)]") }
    }

    /// Rejects keys that were never read.
    func finish() throws(SimulationError) {
        for (key, value) in mapping {
            let name = key.scalar?.string ?? "?"
            if !read.contains(name) {
                throw .invalidField(field: field(name), reason: "unknown field\(Self.line(value))")
            }
        }
    }
}
