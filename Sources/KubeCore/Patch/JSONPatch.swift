/// An RFC 6902 JSON Patch: a list of operations applied in order, all or nothing.
///
/// n8s writes MIG plans with `test` operations first, so a plan lands only on the object
/// version it was computed from (design.md section 3).
public struct JSONPatch: Sendable, Hashable, Codable {
    public struct Operation: Sendable, Hashable, Codable {
        /// `add`, `remove`, `replace`, `move`, `copy` or `test`.
        public var op: String
        /// A JSON Pointer (RFC 6901): `/metadata/annotations/n8s.nebuly.ai~1spec-partitioning-plan`.
        public var path: String
        public var value: JSONValue?
        /// Source pointer of `move` and `copy`.
        public var from: String?

        public init(op: String, path: String, value: JSONValue? = nil, from: String? = nil) {
            self.op = op
            self.path = path
            self.value = value
            self.from = from
        }

        // `value: null` is a real value for add/replace/test, so encode it explicitly.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(op, forKey: .op)
            try c.encode(path, forKey: .path)
            if let value { try c.encode(value, forKey: .value) } else if ["add", "replace", "test"].contains(op) {
                try c.encodeNil(forKey: .value)
            }
            try c.encodeIfPresent(from, forKey: .from)
        }

        enum CodingKeys: String, CodingKey { case op, path, value, from }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            op = try c.decode(String.self, forKey: .op)
            path = try c.decode(String.self, forKey: .path)
            // Present-but-null is `.null`; absent is `nil`.
            value = c.contains(.value) ? try c.decode(JSONValue.self, forKey: .value) : nil
            from = try c.decodeIfPresent(String.self, forKey: .from)
        }
    }

    public var operations: [Operation]
    public init(_ operations: [Operation] = []) { self.operations = operations }

    public init(from decoder: any Decoder) throws { operations = try [Operation](from: decoder) }
    public func encode(to encoder: any Encoder) throws { try operations.encode(to: encoder) }


    /// Escapes one pointer segment (`~` → `~0`, `/` → `~1`), e.g. for annotation keys.
    public static func escape(_ segment: String) -> String {
        segment.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    /// A pointer from plain segments: `pointer("metadata", "annotations", key)`.
    public static func pointer(_ segments: String...) -> String { "/" + segments.map(escape).joined(separator: "/") }
}

extension JSONPatch.Operation {
    /// Fails the whole patch unless the value at `path` equals `value`.
    public static func test(_ path: String, _ value: JSONValue) -> Self { Self(op: "test", path: path, value: value) }
    public static func add(_ path: String, _ value: JSONValue) -> Self { Self(op: "add", path: path, value: value) }
    public static func replace(_ path: String, _ value: JSONValue) -> Self { Self(op: "replace", path: path, value: value) }
    public static func remove(_ path: String) -> Self { Self(op: "remove", path: path) }
}

/// Why a patch could not be applied; the text names the operation and path.
public enum PatchError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A `test` operation found another value: the object changed since the patch was built.
    case testFailed(path: String)
    /// The pointer does not lead to a member or element.
    case pathNotFound(op: String, path: String)
    /// The operation is unknown, lacks `value`/`from`, or its pointer is malformed.
    case invalidOperation(String)
    /// The patch document itself is not of the patch type's shape.
    case malformedPatch(String)

    public var description: String {
        switch self {
        case .testFailed(let p): "the test operation at \(p) failed: the value differs"
        case .pathNotFound(let op, let p): "\(op) operation does not apply: doc is missing path: \(p)"
        case .invalidOperation(let t): "invalid JSON patch operation: \(t)"
        case .malformedPatch(let t): "malformed patch: \(t)"
        }
    }
}

extension JSONPatch {
    /// Applies every operation in order; on any failure the document is left as it was.
    public func apply(to document: JSONValue) throws(PatchError) -> JSONValue {
        var doc = document
        for op in operations {
            let path = try Self.segments(op.path)
            switch op.op {
            case "add":
                guard let value = op.value else { throw .invalidOperation("add at \(op.path) has no value") }
                doc = try Self.add(value, at: path[...], in: doc, op: op)
            case "remove":
                doc = try Self.remove(at: path[...], in: doc, op: op).document
            case "replace":
                guard let value = op.value else { throw .invalidOperation("replace at \(op.path) has no value") }
                _ = try Self.value(at: path[...], in: doc, op: op)
                doc = try Self.remove(at: path[...], in: doc, op: op).document
                doc = try Self.add(value, at: path[...], in: doc, op: op)
            case "test":
                guard let value = op.value else { throw .invalidOperation("test at \(op.path) has no value") }
                // kube-apiserver (evanphx/json-patch): a missing member of an existing object
                // equals `null`, so `test` with `null` checks that a key is absent.
                if value.isNull, !path.isEmpty, case .object(let parent)? = try? Self.value(at: path.dropLast()[...], in: doc, op: op),
                    parent[path.last!] == nil
                {
                    continue
                }
                guard let actual = try? Self.value(at: path[...], in: doc, op: op), Self.equal(actual, value) else {
                    throw .testFailed(path: op.path)
                }
            case "move", "copy":
                guard let fromText = op.from else { throw .invalidOperation("\(op.op) at \(op.path) has no from") }
                let from = try Self.segments(fromText)
                let value = try Self.value(at: from[...], in: doc, op: op)
                if op.op == "move" {
                    if path.starts(with: from), path.count > from.count { throw .invalidOperation("move from \(fromText) into its own child \(op.path)") }
                    doc = try Self.remove(at: from[...], in: doc, op: op).document
                }
                doc = try Self.add(value, at: path[...], in: doc, op: op)
            default:
                throw .invalidOperation("unknown op '\(op.op)'")
            }
        }
        return doc
    }

    static func segments(_ pointer: String) throws(PatchError) -> [String] {
        if pointer.isEmpty { return [] }
        guard pointer.hasPrefix("/") else { throw .invalidOperation("path '\(pointer)' must start with '/'") }
        return pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    /// Numbers compare by value (`1 == 1.0`), everything else structurally.
    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.int(let x), .double(let y)), (.double(let y), .int(let x)): Double(x) == y
        case (.array(let x), .array(let y)): x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case (.object(let x), .object(let y)): x.count == y.count && x.allSatisfy { k, v in y[k].map { equal(v, $0) } ?? false }
        default: a == b
        }
    }

    static func value(at path: ArraySlice<String>, in doc: JSONValue, op: Operation) throws(PatchError) -> JSONValue {
        guard let head = path.first else { return doc }
        switch doc {
        case .object(let o):
            guard let child = o[head] else { throw .pathNotFound(op: op.op, path: op.path) }
            return try value(at: path.dropFirst(), in: child, op: op)
        case .array(let a):
            guard let i = Int(head), a.indices.contains(i) else { throw .pathNotFound(op: op.op, path: op.path) }
            return try value(at: path.dropFirst(), in: a[i], op: op)
        default:
            throw .pathNotFound(op: op.op, path: op.path)
        }
    }

    static func add(_ value: JSONValue, at path: ArraySlice<String>, in doc: JSONValue, op: Operation) throws(PatchError) -> JSONValue {
        guard let head = path.first else { return value }
        let rest = path.dropFirst()
        switch doc {
        case .object(var o):
            if rest.isEmpty {
                o[head] = value
            } else {
                guard let child = o[head] else { throw .pathNotFound(op: op.op, path: op.path) }
                o[head] = try add(value, at: rest, in: child, op: op)
            }
            return .object(o)
        case .array(var a):
            if rest.isEmpty {
                if head == "-" { a.append(value); return .array(a) }
                guard let i = Int(head), i >= 0, i <= a.count else { throw .pathNotFound(op: op.op, path: op.path) }
                a.insert(value, at: i)
            } else {
                guard let i = Int(head), a.indices.contains(i) else { throw .pathNotFound(op: op.op, path: op.path) }
                a[i] = try add(value, at: rest, in: a[i], op: op)
            }
            return .array(a)
        default:
            throw .pathNotFound(op: op.op, path: op.path)
        }
    }

    static func remove(at path: ArraySlice<String>, in doc: JSONValue, op: Operation) throws(PatchError) -> (document: JSONValue, removed: JSONValue) {
        guard let head = path.first else { throw .invalidOperation("cannot remove the whole document") }
        let rest = path.dropFirst()
        switch doc {
        case .object(var o):
            guard let child = o[head] else { throw .pathNotFound(op: op.op, path: op.path) }
            if rest.isEmpty {
                o[head] = nil
                return (.object(o), child)
            }
            let (updated, removed) = try remove(at: rest, in: child, op: op)
            o[head] = updated
            return (.object(o), removed)
        case .array(var a):
            guard let i = Int(head), a.indices.contains(i) else { throw .pathNotFound(op: op.op, path: op.path) }
            if rest.isEmpty {
                let removed = a.remove(at: i)
                return (.array(a), removed)
            }
            let (updated, removed) = try remove(at: rest, in: a[i], op: op)
            a[i] = updated
            return (.array(a), removed)
        default:
            throw .pathNotFound(op: op.op, path: op.path)
        }
    }
}
