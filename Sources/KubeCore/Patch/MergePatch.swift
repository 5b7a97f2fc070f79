/// RFC 7386 JSON merge patch: objects merge member by member, `null` deletes, anything else replaces.
public enum MergePatch {
    public static func apply(_ patch: JSONValue, to target: JSONValue) -> JSONValue {
        guard case .object(let members) = patch else { return patch }
        var result = target.objectValue ?? [:]
        for (key, value) in members {
            if value.isNull {
                result[key] = nil
            } else {
                result[key] = apply(value, to: result[key] ?? .null)
            }
        }
        return .object(result)
    }

    /// The merge patch that turns `original` into `modified` (what a client sends for a change).
    public static func diff(from original: JSONValue, to modified: JSONValue) -> JSONValue? {
        guard case .object(let a) = original, case .object(let b) = modified else {
            return original == modified ? nil : modified
        }
        var patch: JSONObject = [:]
        for (key, old) in a where b[key] == nil { patch[key] = .null; _ = old }
        for (key, new) in b {
            if let old = a[key] {
                if old == new { continue }
                if case .object = old, case .object = new {
                    if let d = diff(from: old, to: new) { patch[key] = d }
                } else {
                    patch[key] = new
                }
            } else {
                patch[key] = new
            }
        }
        return patch.isEmpty ? nil : .object(patch)
    }
}

/// Strategic merge patch, for the core kinds, as far as `kubectl apply`/`edit` on an existing
/// object needs: maps merge like a JSON merge patch; lists with a patch merge key (containers by
/// `name`, conditions by `type`, taints by `key`, ...) merge element by element; other lists
/// replace. The directives `$patch: delete|replace` on list elements and maps, and
/// `$retainKeys` / `$setElementOrder` (ignored: order follows the patch) are understood.
public enum StrategicMergePatch {
    /// Merge keys of the core/v1 lists n8s and kubectl touch, by member name (Kubernetes API
    /// reference, `patchMergeKey` tags). Lists not named here replace wholesale.
    public static let mergeKeys: [String: String] = [
        "containers": "name", "initContainers": "name", "ephemeralContainers": "name",
        "volumes": "name", "volumeMounts": "mountPath", "env": "name", "ports": "containerPort",
        "conditions": "type", "taints": "key", "tolerations": "key", "ownerReferences": "uid",
        "imagePullSecrets": "name", "containerStatuses": "name", "initContainerStatuses": "name",
        "addresses": "type", "images": "names",
    ]

    /// Lists that are sets of scalars, merged by union (`finalizers`).
    public static let setLists: Set<String> = ["finalizers"]

    public static func apply(_ patch: JSONValue, to target: JSONValue) throws(PatchError) -> JSONValue {
        guard case .object(var members) = patch else { return patch }
        if members["$patch"]?.stringValue == "replace" {
            members["$patch"] = nil
            return .object(members)
        }
        if members["$patch"]?.stringValue == "delete" { return .null }
        members["$retainKeys"] = nil
        var result = target.objectValue ?? [:]
        for (key, value) in members {
            if key.hasPrefix("$setElementOrder/") || key.hasPrefix("$deleteFromPrimitiveList/") { continue }
            if value.isNull {
                result[key] = nil
            } else if case .array(let patchItems) = value, case .array(let current)? = result[key] {
                if let mergeKey = mergeKeys[key] {
                    result[key] = .array(try mergeList(current, patchItems, key: mergeKey))
                } else if setLists.contains(key) {
                    var merged = current
                    for item in patchItems where !merged.contains(item) { merged.append(item) }
                    result[key] = .array(merged)
                } else {
                    result[key] = value
                }
            } else if case .object = value {
                let merged = try apply(value, to: result[key] ?? .null)
                result[key] = merged.isNull ? nil : merged
            } else {
                result[key] = value
            }
        }
        return .object(result)
    }

    static func mergeList(_ current: [JSONValue], _ patch: [JSONValue], key: String) throws(PatchError) -> [JSONValue] {
        var result = current
        for item in patch {
            guard case .object(let obj) = item else { throw .malformedPatch("list merged by '\(key)' has a non-object element") }
            guard let id = obj[key] else {
                if obj["$patch"]?.stringValue == "replace" { return [] }
                throw .malformedPatch("element of a list merged by '\(key)' lacks '\(key)'")
            }
            let index = result.firstIndex { $0[key] == id }
            if obj["$patch"]?.stringValue == "delete" {
                if let index { result.remove(at: index) }
                continue
            }
            if let index {
                result[index] = try apply(item, to: result[index])
            } else {
                var clean = obj
                clean["$patch"] = nil
                result.append(.object(clean))
            }
        }
        return result
    }
}
