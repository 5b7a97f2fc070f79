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

    /// Parses `?fieldSelector=` text as kube-apiserver does: terms split at unescaped commas, each at
    /// its first operator (`!=`, `==` or `=`); in a value, `\\`, `\,` and `\=` stand for `\`, `,`
    /// and `=` (what ``description`` writes), and an unescaped `,` or `=` is an error.
    ///
    /// - Throws: ``SelectorError`` for a term without an operator, a field that is not a dotted path
    ///   of letters, digits, `_` and `-`, or a value with an unescaped or unknown escape.
    public init(parsing text: String) throws(SelectorError) {
        var reqs: [Requirement] = []
        for raw in try Self.splitTerms(text) {
            let term = raw.trimmingWhitespace()
            if term.isEmpty { continue }
            guard let (opRange, negated) = Self.firstOperator(in: term) else {
                throw .malformed(selector: text, reason: "invalid field selector term '\(term)': expected '=', '==' or '!='")
            }
            let field = String(term[..<opRange.lowerBound].trimmingWhitespace())
            guard !field.isEmpty else { throw .malformed(selector: text, reason: "empty field name in '\(term)'") }
            guard field.utf8.allSatisfy({ LabelSyntax.isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }) else {
                throw .malformed(selector: text, reason: "invalid field name '\(field)': a dotted path of letters, digits, '_' and '-' such as 'spec.nodeName'")
            }
            let value = try Self.unescape(term[opRange.upperBound...].trimmingWhitespace(), in: text)
            reqs.append(Requirement(field: field, value: value, isNegated: negated))
        }
        self.init(reqs)
    }

    /// The terms of `text`: split at commas not preceded by an escaping backslash.
    static func splitTerms(_ text: String) throws(SelectorError) -> [Substring] {
        var terms: [Substring] = []
        var start = text.startIndex
        var escaped = false
        for i in text.indices {
            if escaped { escaped = false; continue }
            if text[i] == "\\" { escaped = true } else if text[i] == "," {
                terms.append(text[start..<i])
                start = text.index(after: i)
            }
        }
        terms.append(text[start...])
        return terms
    }

    /// The first `!=`, `==` or `=` of a term that no backslash escapes; `true` for `!=`.
    static func firstOperator(in term: Substring) -> (Range<Substring.Index>, Bool)? {
        var i = term.startIndex
        while i < term.endIndex {
            let rest = term[i...]
            if term[i] == "\\" {
                i = term.index(after: i)
                if i < term.endIndex { i = term.index(after: i) }
                continue
            }
            for (symbol, negated) in [("!=", true), ("==", false), ("=", false)] where rest.hasPrefix(symbol) {
                return (i..<term.index(i, offsetBy: symbol.count), negated)
            }
            i = term.index(after: i)
        }
        return nil
    }

    static func unescape(_ value: Substring, in text: String) throws(SelectorError) -> String {
        var out = ""
        var escaped = false
        for c in value {
            if escaped {
                guard c == "\\" || c == "," || c == "=" else {
                    throw .malformed(selector: text, reason: "invalid escape sequence '\\\(c)' in field selector value")
                }
                out.append(c)
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else if c == "," || c == "=" {
                throw .malformed(selector: text, reason: "unescaped '\(c)' in field selector value '\(value)'")
            } else {
                out.append(c)
            }
        }
        if escaped { throw .malformed(selector: text, reason: "field selector value '\(value)' ends with a lone '\\'") }
        return out
    }

    /// A value as it must be written in selector text (`\`, `,` and `=` escaped).
    static func escape(_ value: String) -> String {
        var out = ""
        for c in value {
            if c == "\\" || c == "," || c == "=" { out.append("\\") }
            out.append(c)
        }
        return out
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
        requirements.map { "\($0.field)\($0.isNegated ? "!=" : "=")\(Self.escape($0.value))" }.joined(separator: ",")
    }
}
