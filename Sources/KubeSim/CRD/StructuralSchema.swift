import Foundation
import KubeCore

/// A CustomResourceDefinition's `openAPIV3Schema`, applied to custom resources as kube-apiserver
/// does on every write: unknown fields pruned, defaults set, then the value checked.
///
/// Supported: `type`, `properties`, `additionalProperties`, `items`, `required`, `enum`,
/// `pattern`, `minLength`/`maxLength`, `minimum`/`maximum` (and exclusive), `minItems`/`maxItems`,
/// `minProperties`/`maxProperties`, `nullable`, `default`, `x-kubernetes-int-or-string`,
/// `x-kubernetes-preserve-unknown-fields`, `x-kubernetes-embedded-resource` (kept whole) and
/// `x-kubernetes-list-type: set | map` (duplicates). Not evaluated: `format`, `x-kubernetes-validations`
/// (CEL rules are stored with the CRD; n8s's webhooks check the same rules).
/// Messages are kube-openapi's, as `kubectl` shows them:
/// `spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"`.
struct StructuralSchema: Sendable {
    let root: JSONValue

    /// Prunes and defaults `object`; `apiVersion`, `kind` and `metadata` are kept as they are.
    func pruned(_ object: JSONValue) -> JSONValue {
        guard var members = object.objectValue else { return object }
        let kept = members.filter { ["apiVersion", "kind", "metadata"].contains($0.key) }
        members = members.filter { !["apiVersion", "kind", "metadata"].contains($0.key) }
        guard case .object(var result) = Self.prune(.object(members), root) else { return object }
        for (k, v) in kept { result[k] = v }
        return .object(result)
    }

    /// The problems of `object`, each naming its field; empty when it conforms.
    func validate(_ object: JSONValue) -> [APIStatus.Cause] {
        var members = object.objectValue ?? [:]
        for k in ["apiVersion", "kind", "metadata"] { members[k] = nil }
        var causes: [APIStatus.Cause] = []
        var rootSchema = root
        if case .object(var o) = rootSchema, case .object(var props) = o["properties"] {
            for k in ["apiVersion", "kind", "metadata"] { props[k] = nil }
            o["properties"] = .object(props)
            rootSchema = .object(o)
        }
        Self.check(.object(members), rootSchema, path: "", into: &causes)
        return causes
    }

    // MARK: - Pruning and defaulting

    static func prune(_ value: JSONValue, _ schema: JSONValue) -> JSONValue {
        if schema["x-kubernetes-embedded-resource"]?.boolValue == true { return value }
        switch value {
        case .object(let members):
            let properties = schema["properties"]?.objectValue
            let additional = schema["additionalProperties"]
            let preserves = schema["x-kubernetes-preserve-unknown-fields"]?.boolValue == true
            var result: JSONObject = [:]
            for (key, member) in members {
                let child: JSONValue? = properties?[key] ?? (additional?.objectValue != nil ? additional : nil)
                if let child {
                    if member.isNull && child["nullable"]?.boolValue != true { continue }
                    result[key] = prune(member, child)
                } else if preserves || additional?.boolValue == true {
                    result[key] = member
                }
            }
            for (key, child) in properties ?? [:] where result[key] == nil {
                if let fallback = child["default"] { result[key] = prune(fallback, child) }
            }
            return .object(result)
        case .array(let items):
            guard let itemSchema = schema["items"], itemSchema.objectValue != nil else { return value }
            return .array(items.map { prune($0, itemSchema) })
        default:
            return value
        }
    }

    // MARK: - Validation

    static func check(_ value: JSONValue, _ schema: JSONValue, path: String, into causes: inout [APIStatus.Cause]) {
        let name = path.isEmpty ? "." : path
        if value.isNull {
            if schema["nullable"]?.boolValue == true || schema["type"] == nil { return }
        }
        if schema["x-kubernetes-int-or-string"]?.boolValue == true {
            switch value {
            case .int, .string: break
            case .double(let d) where d.rounded() == d: break
            default:
                causes.append(typeInvalid(path, "\(name) in body must be of type integer,string: \"\(typeName(value))\"", value))
                return
            }
        } else if let type = schema["type"]?.stringValue, !matches(value, type: type) {
            causes.append(typeInvalid(path, "\(name) in body must be of type \(type): \"\(typeName(value))\"", value))
            return
        }
        if let allowed = schema["enum"]?.arrayValue, !allowed.contains(value) {
            let list = allowed.map { $0.stringValue.map { "\"\($0)\"" } ?? String(decoding: $0.serialized(), as: UTF8.self) }.joined(separator: ", ")
            causes.append(APIStatus.Cause(reason: "FieldValueNotSupported", message: "Unsupported value: \(render(value)): supported values: \(list)", field: path))
        }
        switch value {
        case .string(let text): checkString(text, schema, path: path, into: &causes)
        case .int, .double: checkNumber(value, schema, path: path, into: &causes)
        case .array(let items): checkArray(items, schema, path: path, into: &causes)
        case .object(let members): checkObject(members, schema, path: path, into: &causes)
        default: break
        }
    }

    static func checkString(_ text: String, _ schema: JSONValue, path: String, into causes: inout [APIStatus.Cause]) {
        let length = text.unicodeScalars.count
        if let max = schema["maxLength"]?.intValue.map(Int.init), length > max {
            causes.append(APIStatus.Cause(reason: "FieldValueTooLong", message: "Too long: may not be longer than \(max)", field: path))
        }
        if let min = schema["minLength"]?.intValue.map(Int.init), length < min {
            causes.append(invalid(path, .string(text), "\(path) in body should be at least \(min) chars long"))
        }
        if let pattern = schema["pattern"]?.stringValue, let regex = try? Regex(pattern), (try? regex.firstMatch(in: text)) == nil {
            causes.append(invalid(path, .string(text), "\(path) in body should match '\(pattern)'"))
        }
    }

    static func checkNumber(_ value: JSONValue, _ schema: JSONValue, path: String, into causes: inout [APIStatus.Cause]) {
        let number: Double
        switch value {
        case .int(let i): number = Double(i)
        case .double(let d): number = d
        default: return
        }
        func bound(_ key: String) -> (Double, String)? {
            guard let b = schema[key] else { return nil }
            switch b {
            case .int(let i): return (Double(i), String(i))
            case .double(let d): return (d, "\(d)")
            default: return nil
            }
        }
        if let limit = bound("maximum") {
            let (max, text) = limit
            let exclusive = schema["exclusiveMaximum"]?.boolValue == true
            if exclusive ? number >= max : number > max {
                causes.append(invalid(path, value, "\(path) in body should be less than \(exclusive ? "" : "or equal to ")\(text)"))
            }
        }
        if let limit = bound("minimum") {
            let (min, text) = limit
            let exclusive = schema["exclusiveMinimum"]?.boolValue == true
            if exclusive ? number <= min : number < min {
                causes.append(invalid(path, value, "\(path) in body should be greater than \(exclusive ? "" : "or equal to ")\(text)"))
            }
        }
    }

    static func checkArray(_ items: [JSONValue], _ schema: JSONValue, path: String, into causes: inout [APIStatus.Cause]) {
        if let itemSchema = schema["items"], itemSchema.objectValue != nil {
            for (i, item) in items.enumerated() { check(item, itemSchema, path: "\(path)[\(i)]", into: &causes) }
        }
        if let min = schema["minItems"]?.intValue.map(Int.init), items.count < min {
            causes.append(invalid(path, .int(Int64(items.count)), "\(path) in body should have at least \(min) items"))
        }
        if let max = schema["maxItems"]?.intValue.map(Int.init), items.count > max {
            causes.append(APIStatus.Cause(reason: "FieldValueTooMany", message: "Too many: \(items.count): must have at most \(max) items", field: path))
        }
        switch schema["x-kubernetes-list-type"]?.stringValue {
        case "set":
            var seen = Set<JSONValue>()
            for (i, item) in items.enumerated() where !seen.insert(item).inserted {
                causes.append(APIStatus.Cause(reason: "FieldValueDuplicate", message: "Duplicate value: \(render(item))", field: "\(path)[\(i)]"))
            }
        case "map":
            let keys = schema["x-kubernetes-list-map-keys"]?.arrayValue?.compactMap(\.stringValue) ?? []
            var seen = Set<[JSONValue]>()
            for (i, item) in items.enumerated() {
                let key = keys.map { item[$0] ?? .null }
                if !seen.insert(key).inserted {
                    let shown = zip(keys, key).map { "\"\($0)\":\(String(decoding: $1.serialized(), as: UTF8.self))" }.joined(separator: ",")
                    causes.append(APIStatus.Cause(reason: "FieldValueDuplicate", message: "Duplicate value: map[string]interface {}{\(shown)}", field: "\(path)[\(i)]"))
                }
            }
        default: break
        }
    }

    static func checkObject(_ members: JSONObject, _ schema: JSONValue, path: String, into causes: inout [APIStatus.Cause]) {
        func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
        for key in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where members[key] == nil {
            causes.append(APIStatus.Cause(reason: "FieldValueRequired", message: "Required value", field: child(key)))
        }
        if let max = schema["maxProperties"]?.intValue.map(Int.init), members.count > max {
            causes.append(APIStatus.Cause(reason: "FieldValueTooMany", message: "Too many: \(members.count): must have at most \(max) items", field: path))
        }
        if let min = schema["minProperties"]?.intValue.map(Int.init), members.count < min {
            causes.append(invalid(path, .int(Int64(members.count)), "\(path) in body should have at least \(min) properties"))
        }
        let properties = schema["properties"]?.objectValue ?? [:]
        let additional = schema["additionalProperties"]
        for (key, member) in members.sorted(by: { $0.key < $1.key }) {
            if let s = properties[key] {
                check(member, s, path: child(key), into: &causes)
            } else if let s = additional, s.objectValue != nil {
                check(member, s, path: child(key), into: &causes)
            }
        }
    }

    static func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("number", .int), ("number", .double), ("integer", .int): true
        case ("integer", .double(let d)): d.rounded() == d
        default: false
        }
    }

    static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .int: "integer"
        default: value.kindName
        }
    }

    /// A value as Go's field errors print it: strings quoted, numbers and booleans bare.
    static func render(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): String(decoding: JSONValue.string(s).serialized(), as: UTF8.self)
        case .int(let i): String(i)
        case .double(let d): "\(d)"
        case .bool(let b): String(b)
        case .null: "null"
        default: "\"\(value.kindName)\""
        }
    }

    static func invalid(_ path: String, _ value: JSONValue, _ detail: String) -> APIStatus.Cause {
        APIStatus.Cause(reason: "FieldValueInvalid", message: "Invalid value: \(render(value)): \(detail)", field: path)
    }

    static func typeInvalid(_ path: String, _ detail: String, _ value: JSONValue) -> APIStatus.Cause {
        APIStatus.Cause(reason: "FieldValueTypeInvalid", message: "Invalid value: \"\(typeName(value))\": \(detail)", field: path)
    }
}
