/// Requirements on object fields, all of which must hold (`?fieldSelector=spec.nodeName=n1,status.phase!=Failed`).
///
/// Kubernetes supports only `=`, `==` and `!=` on a fixed set of fields per kind; the server
/// decides which fields are selectable. A missing field reads as the empty string, so
/// `spec.nodeName=` selects pods that are not bound.
public struct FieldSelector: Sendable, Hashable, CustomStringConvertible {
    public struct Requirement: Sendable, Hashable {
        /// Dotted path, e.g. `metadata.namespace`.
        public var field: String
        public var value: String
        public var isNegated: Bool
        public init(field: String, value: String, isNegated: Bool = false) {
            self.field = field
            self.value = value
            self.isNegated = isNegated
        }
    }

    public var requirements: [Requirement]
    public init(_ requirements: [Requirement] = []) { self.requirements = requirements }

    /// - Throws: ``SelectorError`` for a term without an operator or with an empty field.
    public init(parsing text: String) throws(SelectorError) {
        var reqs: [Requirement] = []
        for raw in text.split(separator: ",") {
            let term = raw.trimmingWhitespace()
            if term.isEmpty { continue }
            var found = false
            for (symbol, negated) in [("!=", true), ("==", false), ("=", false)] {
                if let r = term.range(of: symbol) {
                    let field = String(term[..<r.lowerBound].trimmingWhitespace())
                    guard !field.isEmpty else { throw .malformed(selector: text, reason: "empty field name in '\(term)'") }
                    reqs.append(Requirement(field: field, value: String(term[r.upperBound...].trimmingWhitespace()), isNegated: negated))
                    found = true
                    break
                }
            }
            if !found { throw .malformed(selector: text, reason: "invalid field selector term '\(term)': expected '=', '==' or '!='") }
        }
        self.init(reqs)
    }

    /// - Parameter value: reads a field's value by path; `nil` reads as `""`.
    public func matches(_ value: (String) -> String?) -> Bool {
        requirements.allSatisfy { r in
            let actual = value(r.field) ?? ""
            return r.isNegated ? actual != r.value : actual == r.value
        }
    }

    public var fields: [String] { requirements.map(\.field) }
    public var isEmpty: Bool { requirements.isEmpty }

    public var description: String {
        requirements.map { "\($0.field)\($0.isNegated ? "!=" : "=")\($0.value)" }.joined(separator: ",")
    }
}
