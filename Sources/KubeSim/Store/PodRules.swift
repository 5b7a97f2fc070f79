import KubeCore

/// kube-apiserver's pod-specific rules: defaulting on create, the few spec fields an update may
/// change, grace periods, and the QoS class.
enum PodRules {
    /// Defaults a new pod as kube-apiserver does for the fields n8s reads: a container's requests
    /// default to its limits where absent; `schedulerName` to `default-scheduler`; `priority` 0;
    /// `terminationGracePeriodSeconds` 30; `restartPolicy` `Always`.
    static func defaulted(_ pod: JSONValue) throws(APIStatus) -> JSONValue {
        var pod = pod
        var spec = pod["spec"]?.objectValue ?? [:]
        guard let containers = spec["containers"]?.arrayValue, !containers.isEmpty else {
            throw .invalid(kind: "Pod", name: pod.value(at: ["metadata", "name"])?.stringValue ?? "", causes: [APIStatus.Cause(reason: "FieldValueRequired", message: "Required value", field: "spec.containers")])
        }
        for list in ["containers", "initContainers"] {
            guard let items = spec[list]?.arrayValue else { continue }
            var defaulted: [JSONValue] = []
            for (i, item) in items.enumerated() {
                guard case .object = item else {
                    throw .invalid(kind: "Pod", name: pod.value(at: ["metadata", "name"])?.stringValue ?? "", causes: [APIStatus.Cause(reason: "FieldValueInvalid", message: "Invalid value: must be an object", field: "spec.\(list)[\(i)]")])
                }
                var container = item
                try checkQuantities(container, field: "spec.\(list)[\(i)].resources", pod: pod)
                if let limits = container.value(at: ["resources", "limits"])?.objectValue {
                    var requests = container.value(at: ["resources", "requests"])?.objectValue ?? [:]
                    for (name, value) in limits where requests[name] == nil { requests[name] = value }
                    container[path: ["resources", "requests"]] = .object(requests)
                }
                defaulted.append(container)
            }
            spec[list] = .array(defaulted)
        }
        if spec["schedulerName"] == nil { spec["schedulerName"] = "default-scheduler" }
        if spec["priority"] == nil { spec["priority"] = 0 }
        if spec["terminationGracePeriodSeconds"] == nil { spec["terminationGracePeriodSeconds"] = 30 }
        if spec["restartPolicy"] == nil { spec["restartPolicy"] = "Always" }
        pod["spec"] = .object(spec)
        return pod
    }

    /// Requests and limits must be quantities; a request above its limit is invalid.
    static func checkQuantities(_ container: JSONValue, field: String, pod: JSONValue) throws(APIStatus) {
        let name = pod.value(at: ["metadata", "name"])?.stringValue ?? ""
        var parsed: [String: [String: Quantity]] = [:]
        for part in ["limits", "requests"] {
            for (resource, value) in container.value(at: ["resources", part])?.objectValue ?? [:] {
                let text: String
                switch value {
                case .string(let s): text = s
                case .int(let i): text = String(i)
                case .double(let d): text = String(d)
                default: text = ""
                }
                do { parsed[part, default: [:]][resource] = try Quantity(parsing: text) } catch {
                    throw .invalid(kind: "Pod", name: name, causes: [APIStatus.Cause(reason: "FieldValueInvalid", message: "Invalid value: \"\(text)\": \(error)", field: "\(field).\(part)[\(resource)]")])
                }
            }
        }
        for (resource, request) in parsed["requests"] ?? [:] {
            if let limit = parsed["limits"]?[resource], request > limit {
                throw .invalid(kind: "Pod", name: name, causes: [APIStatus.Cause(reason: "FieldValueInvalid", message: "Invalid value: \"\(request)\": must be less than or equal to \(resource) limit of \(limit)", field: "\(field).requests[\(resource)]")])
            }
        }
    }

    /// A pod's spec is immutable except container images, `activeDeadlineSeconds`, added
    /// tolerations and removed scheduling gates (Kubernetes API reference, "Pod update").
    static func checkUpdate(from old: JSONValue, to new: JSONValue, name: String) throws(APIStatus) {
        var a = old["spec"]?.objectValue ?? [:]
        var b = new["spec"]?.objectValue ?? [:]
        for key in ["activeDeadlineSeconds", "tolerations", "schedulingGates"] {
            a[key] = nil
            b[key] = nil
        }
        for list in ["containers", "initContainers"] {
            a[list] = a[list].map(withoutImages)
            b[list] = b[list].map(withoutImages)
        }
        if a != b {
            throw .invalid(kind: "Pod", name: name, causes: [APIStatus.Cause(reason: "FieldValueForbidden", message: "Forbidden: pod updates may not change fields other than `spec.containers[*].image`, `spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to existing tolerations), `spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)", field: "spec")])
        }
    }

    private static func withoutImages(_ list: JSONValue) -> JSONValue {
        .array((list.arrayValue ?? []).map { c in
            var c = c
            c["image"] = nil
            return c
        })
    }

    /// Seconds the kubelet gets to stop the pod: the request's, else the pod's own (30 by
    /// default); 0 for pods never bound or already terminal, which are deleted at once.
    static func gracePeriod(for pod: JSONValue, requested: Int64?) -> Int64 {
        let nodeName = pod.value(at: ["spec", "nodeName"])?.stringValue ?? ""
        let phase = pod.value(at: ["status", "phase"])?.stringValue ?? ""
        if nodeName.isEmpty || phase == "Succeeded" || phase == "Failed" { return 0 }
        let grace = requested ?? pod.value(at: ["spec", "terminationGracePeriodSeconds"])?.intValue ?? 30
        return max(0, grace)
    }

    /// `Guaranteed` when every container sets equal CPU and memory requests and limits,
    /// `BestEffort` when none sets any, else `Burstable`.
    static func qosClass(_ pod: JSONValue) -> String {
        let containers = (pod.value(at: ["spec", "containers"])?.arrayValue ?? []) + (pod.value(at: ["spec", "initContainers"])?.arrayValue ?? [])
        var any = false
        var guaranteed = true
        for c in containers {
            let requests = c.value(at: ["resources", "requests"])?.objectValue ?? [:]
            let limits = c.value(at: ["resources", "limits"])?.objectValue ?? [:]
            for r in ["cpu", "memory"] {
                if requests[r] != nil || limits[r] != nil { any = true }
                let l = limits[r].flatMap { $0.stringValue.flatMap { Quantity($0) } }
                let q = requests[r].flatMap { $0.stringValue.flatMap { Quantity($0) } } ?? l
                if l == nil || q != l { guaranteed = false }
            }
        }
        if !any { return "BestEffort" }
        return guaranteed ? "Guaranteed" : "Burstable"
    }
}

/// Object-name and metadata checks of kube-apiserver (Kubernetes "Object Names and IDs").
enum Validation {
    /// DNS-1123 subdomain (most kinds) or label (namespaces).
    static func checkName(_ name: String, kind: String, group: String, isNamespace: Bool) throws(APIStatus) {
        let limit = isNamespace ? 63 : 253
        let allowed = name.utf8.allSatisfy { c in
            (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c == 45 || (!isNamespace && c == 46)
        }
        let edges = name.first.map { $0.isLetter || $0.isNumber } == true && name.last.map { $0.isLetter || $0.isNumber } == true
        if name.count > limit || !allowed || !edges {
            let rule = isNamespace
                ? "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
                : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
            throw .invalid(kind: kind, name: name, causes: [APIStatus.Cause(reason: "FieldValueInvalid", message: "Invalid value: \"\(name)\": \(rule)", field: "metadata.name")], group: group)
        }
    }

    /// Labels and annotations must be maps of strings; finalizers a list of strings.
    static func checkMetadata(_ object: JSONValue, kind: String, name: String, group: String) throws(APIStatus) {
        for field in ["labels", "annotations"] {
            guard let value = object.value(at: ["metadata", field]), !value.isNull else { continue }
            guard let map = value.objectValue else {
                throw .invalid(kind: kind, name: name, causes: [APIStatus.Cause(reason: "FieldValueInvalid", message: "Invalid value: must be a map of strings", field: "metadata.\(field)")], group: group)
            }
            for (key, v) in map where v.stringValue == nil {
                throw .invalid(kind: kind, name: name, causes: [APIStatus.Cause(reason: "FieldValueInvalid", message: "Invalid value: \(v.kindName): must be a string", field: "metadata.\(field).\(key)")], group: group)
            }
            if field == "labels" {
                for (key, v) in map where (v.stringValue ?? "").count > 63 || key.isEmpty {
                    throw .invalid(kind: kind, name: name, causes: [APIStatus.Cause(reason: "FieldValueInvalid", message: "Invalid value: \"\(v.stringValue ?? "")\": must be no more than 63 characters", field: "metadata.labels")], group: group)
                }
            }
        }
        if let f = object.value(at: ["metadata", "finalizers"]), !f.isNull, f.arrayValue?.allSatisfy({ $0.stringValue != nil }) != true {
            throw .invalid(kind: kind, name: name, causes: [APIStatus.Cause(reason: "FieldValueInvalid", message: "Invalid value: must be a list of strings", field: "metadata.finalizers")], group: group)
        }
    }
}
