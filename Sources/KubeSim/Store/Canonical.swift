import KubeCore

/// kube-apiserver stores quantities in canonical form: `1.5Gi` reads back as `1536Mi`, a JSON
/// number `1` as `"1"`. Applied to the quantity maps of the kinds that have them.
enum Canonical {
    /// Rewrites every quantity of a map (`requests`, `allocatable`, ...) in canonical form.
    /// - Throws: 422 naming the field when a value is not a quantity.
    static func quantities(in object: inout JSONValue, at path: [String], kind: String, name: String) throws(APIStatus) {
        guard let map = object.value(at: path), !map.isNull else { return }
        guard let members = map.objectValue else {
            throw .invalid(kind: kind, name: name, causes: [APIStatus.Cause(reason: "FieldValueInvalid", message: "Invalid value: must be a map of resource name to quantity", field: path.joined(separator: "."))])
        }
        var result: JSONObject = [:]
        for (resource, value) in members {
            let text: String
            switch value {
            case .string(let s): text = s
            case .int(let i): text = String(i)
            case .double(let d): text = String(d)
            default: text = "<\(value.kindName)>"
            }
            do { result[resource] = .string(try Quantity(parsing: text).description) } catch {
                throw .invalid(kind: kind, name: name, causes: [APIStatus.Cause(reason: "FieldValueInvalid", message: "Invalid value: \"\(text)\": \(error)", field: (path + [resource]).joined(separator: "."))])
            }
        }
        object[path: path] = .object(result)
    }

    /// The quantity maps of a pod (containers, init containers, overhead) or node (capacity, allocatable).
    static func apply(to object: inout JSONValue, type: ResourceType) throws(APIStatus) {
        guard type.group.isEmpty else { return }
        let name = object.value(at: ["metadata", "name"])?.stringValue ?? ""
        switch type.plural {
        case "pods":
            for list in ["containers", "initContainers"] {
                guard var items = object.value(at: ["spec", list])?.arrayValue else { continue }
                for i in items.indices {
                    for part in ["requests", "limits"] {
                        try quantities(in: &items[i], at: ["resources", part], kind: "Pod", name: name)
                    }
                }
                object[path: ["spec", list]] = .array(items)
            }
            try quantities(in: &object, at: ["spec", "overhead"], kind: "Pod", name: name)
        case "nodes":
            try quantities(in: &object, at: ["status", "capacity"], kind: "Node", name: name)
            try quantities(in: &object, at: ["status", "allocatable"], kind: "Node", name: name)
        default:
            break
        }
    }
}
