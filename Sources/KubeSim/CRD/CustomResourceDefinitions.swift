import Foundation
import KubeCore

/// What kube-apiserver's apiextensions server does with a CustomResourceDefinition: checks it,
/// turns it into the kind it serves, reports it `Established`, and admits that kind's objects
/// against its schema.
enum CustomResourceDefinitions {
    /// The kind a CRD serves: its storage version (or the first served one), names, scope, status
    /// subresource, printer columns (default: Age) and schema.
    /// - Throws: 422 naming the field for a CRD kube-apiserver would refuse.
    static func servedType(_ crd: JSONValue) throws(APIStatus) -> ResourceType {
        let name = crd.value(at: ["metadata", "name"])?.stringValue ?? ""
        var causes: [APIStatus.Cause] = []
        func required(_ field: String) { causes.append(APIStatus.Cause(reason: "FieldValueRequired", message: "Required value", field: field)) }
        let group = crd.value(at: ["spec", "group"])?.stringValue ?? ""
        let plural = crd.value(at: ["spec", "names", "plural"])?.stringValue ?? ""
        let kind = crd.value(at: ["spec", "names", "kind"])?.stringValue ?? ""
        let scope = crd.value(at: ["spec", "scope"])?.stringValue ?? ""
        if group.isEmpty { required("spec.group") } else if !group.contains(".") {
            causes.append(StructuralSchema.invalid("spec.group", .string(group), "should be a domain with at least one dot"))
        }
        if plural.isEmpty { required("spec.names.plural") }
        if kind.isEmpty { required("spec.names.kind") }
        if !["Namespaced", "Cluster"].contains(scope) {
            causes.append(APIStatus.Cause(reason: "FieldValueNotSupported", message: "Unsupported value: \(StructuralSchema.render(.string(scope))): supported values: \"Cluster\", \"Namespaced\"", field: "spec.scope"))
        }
        if !plural.isEmpty, !group.isEmpty, name != "\(plural).\(group)" {
            causes.append(StructuralSchema.invalid("metadata.name", .string(name), "must be spec.names.plural+\".\"+spec.group"))
        }
        let versions = crd.value(at: ["spec", "versions"])?.arrayValue ?? []
        if versions.isEmpty { required("spec.versions") }
        let storage = versions.filter { $0["storage"]?.boolValue == true }
        if !versions.isEmpty && storage.count != 1 {
            causes.append(StructuralSchema.invalid("spec.versions", .int(Int64(storage.count)), "must have exactly one version marked as storage version"))
        }
        let served = versions.enumerated().filter { $0.element["served"]?.boolValue == true }
        let chosen = served.first { $0.element["storage"]?.boolValue == true } ?? served.first
        if let chosen, chosen.element.value(at: ["schema", "openAPIV3Schema"])?.objectValue == nil {
            causes.append(APIStatus.Cause(reason: "FieldValueRequired", message: "Required value: schemas are required",
                                          field: "spec.versions[\(chosen.offset)].schema.openAPIV3Schema"))
        }
        if builtInGroups.contains(group) {
            causes.append(StructuralSchema.invalid("spec.group", .string(group), "is a built-in API group"))
        }
        guard causes.isEmpty, let version = chosen?.element else {
            if causes.isEmpty { causes.append(StructuralSchema.invalid("spec.versions", .string(""), "must have at least one served version")) }
            throw .invalid(kind: "CustomResourceDefinition", name: name, causes: causes, group: "apiextensions.k8s.io")
        }
        var columns: [ResourceType.PrinterColumn] = []
        for column in version["additionalPrinterColumns"]?.arrayValue ?? [] {
            guard let title = column["name"]?.stringValue, let path = column["jsonPath"]?.stringValue else { continue }
            columns.append(ResourceType.PrinterColumn(name: title, path: path, type: column["type"]?.stringValue ?? "string",
                                                      priority: Int(column["priority"]?.intValue ?? 0),
                                                      description: column["description"]?.stringValue ?? ""))
        }
        if columns.isEmpty { columns = [ResourceType.PrinterColumn(name: "Age", path: ".metadata.creationTimestamp", type: "date")] }
        return ResourceType(
            group: group, version: version["name"]?.stringValue ?? "", kind: kind, plural: plural,
            singular: crd.value(at: ["spec", "names", "singular"])?.stringValue.flatMap { $0.isEmpty ? nil : $0 },
            isNamespaced: scope == "Namespaced",
            shortNames: crd.value(at: ["spec", "names", "shortNames"])?.arrayValue?.compactMap(\.stringValue) ?? [],
            hasStatusSubresource: version.value(at: ["subresources", "status"]) != nil,
            printerColumns: columns,
            categories: crd.value(at: ["spec", "names", "categories"])?.arrayValue?.compactMap(\.stringValue) ?? [],
            schema: version.value(at: ["schema", "openAPIV3Schema"]))
    }

    /// Groups KubeSim serves itself; a CRD may not claim them.
    static let builtInGroups: Set<String> = ["", "coordination.k8s.io", "events.k8s.io", "policy", "apiextensions.k8s.io"]

    /// The status kube-apiserver reports once the names are accepted and the kind is served.
    static func establishedStatus(_ crd: JSONValue, now: Date) -> JSONValue {
        let time = JSONValue.string(RFC3339.format(now))
        var names = crd.value(at: ["spec", "names"]) ?? [:]
        if names["singular"] == nil, let kind = names["kind"]?.stringValue { names["singular"] = .string(kind.lowercased()) }
        if names["listKind"] == nil, let kind = names["kind"]?.stringValue { names["listKind"] = .string(kind + "List") }
        let stored = (crd.value(at: ["spec", "versions"])?.arrayValue ?? []).filter { $0["storage"]?.boolValue == true }.compactMap { $0["name"] }
        return [
            "acceptedNames": names,
            "storedVersions": .array(stored),
            "conditions": [
                ["type": "NamesAccepted", "status": "True", "reason": "NoConflicts", "message": "no conflicts found", "lastTransitionTime": time],
                ["type": "Established", "status": "True", "reason": "InitialNamesAccepted", "message": "the initial names have been accepted", "lastTransitionTime": time],
            ],
        ]
    }

    /// Prunes, defaults and validates a custom resource as its CRD's schema says.
    /// - Throws: 422 `Invalid` with kube-apiserver's message, e.g. `ElasticQuota.n8s.nebuly.ai "q"
    ///   is invalid: spec.min: Invalid value: "string": spec.min in body must be of type object: "string"`.
    static func admit(_ object: JSONValue, type: ResourceType) throws(APIStatus) -> JSONValue {
        guard let root = type.schema else { return object }
        let schema = StructuralSchema(root: root)
        let result = schema.pruned(object)
        let causes = schema.validate(result)
        guard causes.isEmpty else {
            let name = object.value(at: ["metadata", "name"])?.stringValue ?? ""
            let errors = causes.map { "\($0.field ?? ""): \($0.message ?? "")" }
            let summary = errors.count == 1 ? errors[0] : "[\(errors.joined(separator: ", "))]"
            throw APIStatus(code: 422, reason: "Invalid", message: "\(type.kind).\(type.group) \"\(name)\" is invalid: \(summary)",
                            details: APIStatus.Details(name: name, group: type.group, kind: type.kind, causes: causes))
        }
        return result
    }
}
