import KubeCore

/// Discovery documents (`/version`, `/api`, `/apis`, resource lists), as kubectl reads them to
/// map kinds and short names to URLs.
enum Discovery {
    static let version: JSONValue = [
        "major": "1", "minor": "30", "gitVersion": "v1.30.0-kubesim", "gitCommit": "", "gitTreeState": "clean",
        "buildDate": "2026-11-29T00:00:00Z", "goVersion": "", "compiler": "swift", "platform": "linux/amd64",
    ]

    static func coreVersions(host: String) -> JSONValue {
        ["kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": .string(host)]]]
    }

    static func groupList(_ types: [ResourceType]) -> JSONValue {
        let names = Set(types.map(\.group).filter { !$0.isEmpty }).sorted()
        return ["kind": "APIGroupList", "apiVersion": "v1", "groups": .array(names.compactMap { group($0, types) })]
    }

    static func group(_ name: String, _ types: [ResourceType]) -> JSONValue? {
        let versions = Set(types.filter { $0.group == name }.map(\.version)).sorted()
        guard let preferred = versions.last else { return nil }
        func entry(_ v: String) -> JSONValue { ["groupVersion": .string("\(name)/\(v)"), "version": .string(v)] }
        return ["kind": "APIGroup", "apiVersion": "v1", "name": .string(name), "versions": .array(versions.map(entry)), "preferredVersion": entry(preferred)]
    }

    static func resourceList(group: String, version: String, _ types: [ResourceType]) -> JSONValue? {
        let served = types.filter { $0.group == group && $0.version == version }
        guard !served.isEmpty else { return nil }
        let verbs: JSONValue = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
        var resources: [JSONValue] = []
        for t in served {
            var entry: JSONObject = ["name": .string(t.plural), "singularName": .string(t.singular), "namespaced": .bool(t.isNamespaced),
                                     "kind": .string(t.kind), "verbs": verbs]
            if !t.shortNames.isEmpty { entry["shortNames"] = .array(t.shortNames.map(JSONValue.string)) }
            if !t.categories.isEmpty { entry["categories"] = .array(t.categories.map(JSONValue.string)) }
            resources.append(.object(entry))
            if t.hasStatusSubresource {
                resources.append(["name": .string("\(t.plural)/status"), "singularName": "", "namespaced": .bool(t.isNamespaced), "kind": .string(t.kind), "verbs": ["get", "patch", "update"]])
            }
            if t.group.isEmpty && t.plural == "pods" {
                resources.append(["name": "pods/binding", "singularName": "", "namespaced": true, "kind": "Binding", "verbs": ["create"]])
                resources.append(["name": "pods/eviction", "singularName": "", "namespaced": true, "group": "policy", "version": "v1", "kind": "Eviction", "verbs": ["create"]])
            }
        }
        let groupVersion = group.isEmpty ? version : "\(group)/\(version)"
        return ["kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string(groupVersion), "resources": .array(resources)]
    }
}
