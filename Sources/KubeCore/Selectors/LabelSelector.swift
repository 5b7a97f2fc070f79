/// A set of requirements on labels, all of which must hold (Kubernetes "Labels and Selectors").
///
/// Built from the string form of `?labelSelector=` (`app=web,tier!=db,env in (a,b),!canary`)
/// or from the structured form of `meta/v1 LabelSelector`. An empty selector matches everything.
public struct LabelSelector: Sendable, Hashable, CustomStringConvertible {
    public var requirements: [Requirement]

    public init(_ requirements: [Requirement] = []) { self.requirements = requirements }

    public struct Requirement: Sendable, Hashable {
        public enum Operator: String, Sendable, Hashable {
            case equals = "="
            case notEquals = "!="
            case `in` = "in"
            case notIn = "notin"
            case exists = "exists"
            case doesNotExist = "!"
            case greaterThan = "gt"
            case lessThan = "lt"
        }

        public var key: String
        public var op: Operator
        public var values: [String]

        public init(key: String, op: Operator, values: [String] = []) {
            self.key = key
            self.op = op
            self.values = values
        }

        public func matches(_ labels: [String: String]) -> Bool {
            let value = labels[key]
            switch op {
            case .equals, .in: return value.map(values.contains) ?? false
            // Kubernetes: `!=` and `notin` also match objects without the label.
            case .notEquals, .notIn: return value.map { !values.contains($0) } ?? true
            case .exists: return value != nil
            case .doesNotExist: return value == nil
            case .greaterThan, .lessThan:
                guard let value, let number = Int64(value), let bound = values.first.flatMap({ Int64($0) }) else { return false }
                return op == .greaterThan ? number > bound : number < bound
            }
        }

        var text: String {
            switch op {
            case .equals: "\(key)=\(values.first ?? "")"
            case .notEquals: "\(key)!=\(values.first ?? "")"
            case .in: "\(key) in (\(values.joined(separator: ",")))"
            case .notIn: "\(key) notin (\(values.joined(separator: ",")))"
            case .exists: key
            case .doesNotExist: "!\(key)"
            case .greaterThan: "\(key)>\(values.first ?? "")"
            case .lessThan: "\(key)<\(values.first ?? "")"
            }
        }
    }

    public func matches(_ labels: [String: String]?) -> Bool {
        let labels = labels ?? [:]
        return requirements.allSatisfy { $0.matches(labels) }
    }

    public var isEmpty: Bool { requirements.isEmpty }

    /// The string form, accepted back by ``init(parsing:)``.
    public var description: String { requirements.map(\.text).joined(separator: ",") }
}

/// Why a selector is not valid; the text quotes the offending part.
public enum SelectorError: Error, Sendable, Hashable, CustomStringConvertible {
    case malformed(selector: String, reason: String)
    public var description: String {
        switch self {
        case .malformed(let selector, let reason): "unable to parse requirement in selector \"\(selector)\": \(reason)"
        }
    }
}

extension LabelSelector {
    /// Parses the string form of a label selector.
    ///
    /// - Throws: ``SelectorError/malformed(selector:reason:)`` naming what is wrong (a key or value
    ///   outside Kubernetes' label syntax, an unclosed `(`, an unknown operator, a non-integer bound
    ///   for `>`/`<`).
    public init(parsing text: String) throws(SelectorError) {
        var requirements: [Requirement] = []
        for part in try Self.splitTopLevel(text) {
            let s = part.trimmingWhitespace()
            if s.isEmpty { continue }
            requirements.append(try Self.requirement(String(s), in: text))
        }
        self.init(requirements)
    }

    /// Splits on commas that are not inside `( )`.
    static func splitTopLevel(_ text: String) throws(SelectorError) -> [Substring] {
        var parts: [Substring] = []
        var depth = 0
        var start = text.startIndex
        for i in text.indices {
            switch text[i] {
            case "(": depth += 1
            case ")":
                depth -= 1
                if depth < 0 { throw .malformed(selector: text, reason: "unexpected ')'") }
            case "," where depth == 0:
                parts.append(text[start..<i])
                start = text.index(after: i)
            default: break
            }
        }
        if depth != 0 { throw .malformed(selector: text, reason: "unclosed '('") }
        parts.append(text[start...])
        return parts
    }

    static func requirement(_ s: String, in text: String) throws(SelectorError) -> Requirement {
        func key(_ k: Substring) throws(SelectorError) -> String {
            let k = String(k.trimmingWhitespace())
            guard LabelSyntax.isValidKey(k) else {
                throw .malformed(selector: text, reason: "invalid label key \"\(k)\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (at most 63), with an optional DNS subdomain prefix and '/'")
            }
            return k
        }
        func checked(_ values: [String]) throws(SelectorError) -> [String] {
            for v in values where !LabelSyntax.isValidValue(v) {
                throw .malformed(selector: text, reason: "invalid label value: \"\(v)\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (at most 63)")
            }
            return values
        }
        if s.hasPrefix("!") {
            return Requirement(key: try key(s.dropFirst()), op: .doesNotExist)
        }
        for (symbol, op) in [("!=", Requirement.Operator.notEquals), ("==", .equals), ("=", .equals), (">", .greaterThan), ("<", .lessThan)] {
            if let range = s.range(of: symbol) {
                let value = String(s[range.upperBound...].trimmingWhitespace())
                if op == .greaterThan || op == .lessThan, Int64(value) == nil {
                    throw .malformed(selector: text, reason: "for 'Gt', 'Lt' operators, the value must be an integer")
                }
                return Requirement(key: try key(s[..<range.lowerBound]), op: op, values: try checked([value]))
            }
        }
        let words = s.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        if words.count == 1 { return Requirement(key: try key(words[0]), op: .exists) }
        let rest = words[1].trimmingWhitespace()
        for (word, op) in [("notin", Requirement.Operator.notIn), ("in", .in)] where rest.hasPrefix(word) {
            let list = rest.dropFirst(word.count).trimmingWhitespace()
            guard list.hasPrefix("("), list.hasSuffix(")") else {
                throw .malformed(selector: text, reason: "expected '(' and ')' around the values of '\(word)'")
            }
            let values = list.dropFirst().dropLast().split(separator: ",", omittingEmptySubsequences: false)
                .map { String($0.trimmingWhitespace()) }
            return Requirement(key: try key(words[0]), op: op, values: try checked(values))
        }
        throw .malformed(selector: text, reason: "found '\(rest)', expected: '=', '!=', '==', 'in', notin'")
    }
}

/// The structured selector of API objects (`meta/v1 LabelSelector`).
public struct LabelSelectorSpec: Sendable, Hashable, Codable {
    public var matchLabels: [String: String]?
    public var matchExpressions: [Expression]?

    public struct Expression: Sendable, Hashable, Codable {
        public var key: String
        /// `In`, `NotIn`, `Exists` or `DoesNotExist`.
        public var `operator`: String
        public var values: [String]?
        public init(key: String, operator op: String, values: [String]? = nil) {
            self.key = key
            self.operator = op
            self.values = values
        }
    }

    public init(matchLabels: [String: String]? = nil, matchExpressions: [Expression]? = nil) {
        self.matchLabels = matchLabels
        self.matchExpressions = matchExpressions
    }

    /// - Throws: ``SelectorError`` for an unknown operator or values that contradict it.
    public func selector() throws(SelectorError) -> LabelSelector {
        var reqs = (matchLabels ?? [:]).sorted { $0.key < $1.key }.map { Requirement(key: $0.key, op: .equals, values: [$0.value]) }
        for e in matchExpressions ?? [] {
            let values = e.values ?? []
            switch e.operator {
            case "In", "NotIn":
                guard !values.isEmpty else { throw .malformed(selector: e.key, reason: "values: must be specified when `operator` is 'In' or 'NotIn'") }
                reqs.append(Requirement(key: e.key, op: e.operator == "In" ? .in : .notIn, values: values))
            case "Exists", "DoesNotExist":
                guard values.isEmpty else { throw .malformed(selector: e.key, reason: "values: may not be specified when `operator` is 'Exists' or 'DoesNotExist'") }
                reqs.append(Requirement(key: e.key, op: e.operator == "Exists" ? .exists : .doesNotExist))
            default:
                throw .malformed(selector: e.key, reason: "operator: not a valid selector operator: \"\(e.operator)\"")
            }
        }
        return LabelSelector(reqs)
    }

    public typealias Requirement = LabelSelector.Requirement
}
