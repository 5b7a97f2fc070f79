import KubeCore

/// A kind KubeSim serves: its REST coordinates, discovery facts and server-side behaviour.
///
/// Adding a kind is one line: `sim.register(ResourceType(group: "n8s.nebuly.ai", version:
/// "v1alpha1", kind: "ElasticQuota", plural: "elasticquotas", isNamespaced: true, shortNames: ["eq"]))`.
public struct ResourceType: Sendable, Hashable {
    /// `""` for the core group.
    public var group: String
    public var version: String
    public var kind: String
    /// Lower-case plural used in URLs.
    public var plural: String
    public var singular: String
    public var isNamespaced: Bool
    public var shortNames: [String]
    /// Whether `.../{name}/status` exists; then writes to the main resource keep `status`,
    /// and writes to `status` change nothing else.
    public var hasStatusSubresource: Bool
    /// Field paths accepted by `fieldSelector` besides `metadata.name` and `metadata.namespace`.
    public var selectableFields: [String]
    /// Printer columns of `kubectl get` (Table responses): header and JSON path from the object.
    public var printerColumns: [PrinterColumn]
    /// Groupings `kubectl get <category>` expands to (e.g. `all`, `n8s`).
    public var categories: [String]
    /// A custom resource's `openAPIV3Schema` from its CustomResourceDefinition: objects are pruned,
    /// defaulted and validated against it. `nil` for built-in kinds.
    public var schema: JSONValue?

    public struct PrinterColumn: Sendable, Hashable {
        public var name: String
        /// Dotted path into the object, e.g. `status.phase`; `""` means the age column. A path
        /// starting with `.` is a CustomResourceDefinition's `jsonPath` (`.spec.min.nvidia\.com/gpu`).
        public var path: String
        /// `string`, `integer`, `number`, `boolean` or `date` (a CRD column's `type`).
        public var type: String
        /// `0` columns always show; higher ones only with `kubectl get -o wide`.
        public var priority: Int
        public var description: String

        public init(name: String, path: String, type: String = "string", priority: Int = 0, description: String = "") {
            self.name = name
            self.path = path
            self.type = type
            self.priority = priority
            self.description = description
        }
    }

    public init(
        group: String,
        version: String,
        kind: String,
        plural: String,
        singular: String? = nil,
        isNamespaced: Bool,
        shortNames: [String] = [],
        hasStatusSubresource: Bool = true,
        selectableFields: [String] = [],
        printerColumns: [PrinterColumn] = [],
        categories: [String] = [],
        schema: JSONValue? = nil
    ) {
        self.group = group
        self.version = version
        self.kind = kind
        self.plural = plural
        self.singular = singular ?? kind.lowercased()
        self.isNamespaced = isNamespaced
        self.shortNames = shortNames
        self.hasStatusSubresource = hasStatusSubresource
        self.selectableFields = selectableFields
        self.printerColumns = printerColumns
        self.categories = categories
        self.schema = schema
    }

    /// The type of a typed model, with its coordinates.
    public init<R: Resource>(_ type: R.Type, shortNames: [String] = [], hasStatusSubresource: Bool = true, selectableFields: [String] = []) {
        self.init(group: R.group, version: R.version, kind: R.kind, plural: R.plural, isNamespaced: R.isNamespaced,
                  shortNames: shortNames, hasStatusSubresource: hasStatusSubresource, selectableFields: selectableFields)
    }

    /// `v1` or `group/version`, as objects carry it.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// `pods` or `leases.coordination.k8s.io`, as error messages name a resource.
    public var qualifiedName: String { group.isEmpty ? plural : "\(plural).\(group)" }

    var id: ResourceID { ResourceID(group: group, plural: plural) }
}

/// Identifies a resource independent of version.
struct ResourceID: Hashable, Sendable {
    var group: String
    var plural: String
}

extension ResourceType {
    /// The kinds every KubeSim serves (core/v1, coordination.k8s.io/v1, events.k8s.io/v1, policy/v1,
    /// apiextensions.k8s.io/v1 CustomResourceDefinition, admissionregistration.k8s.io/v1 ValidatingWebhookConfiguration).
    public static let builtIn: [ResourceType] = [
        ResourceType(group: "", version: "v1", kind: "Namespace", plural: "namespaces", isNamespaced: false, shortNames: ["ns"],
                     selectableFields: ["status.phase"],
                     printerColumns: [.init(name: "Status", path: "status.phase"), .init(name: "Age", path: "")]),
        ResourceType(group: "", version: "v1", kind: "Node", plural: "nodes", isNamespaced: false, shortNames: ["no"],
                     selectableFields: ["spec.unschedulable"],
                     printerColumns: [.init(name: "Status", path: "status.conditions[Ready].status"), .init(name: "Age", path: "")]),
        ResourceType(group: "", version: "v1", kind: "Pod", plural: "pods", isNamespaced: true, shortNames: ["po"],
                     selectableFields: ["spec.nodeName", "spec.schedulerName", "spec.restartPolicy", "spec.serviceAccountName",
                                        "status.phase", "status.nominatedNodeName", "status.podIP"],
                     printerColumns: [.init(name: "Status", path: "status.phase"), .init(name: "Node", path: "spec.nodeName"),
                                      .init(name: "Age", path: "")]),
        ResourceType(group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", isNamespaced: true, shortNames: ["cm"],
                     hasStatusSubresource: false),
        ResourceType(group: "", version: "v1", kind: "Event", plural: "events", isNamespaced: true, shortNames: ["ev"],
                     hasStatusSubresource: false,
                     selectableFields: ["involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
                                        "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
                                        "reason", "reportingComponent", "source", "type"],
                     printerColumns: [.init(name: "Type", path: "type"), .init(name: "Reason", path: "reason"),
                                      .init(name: "Object", path: "involvedObject.name"), .init(name: "Message", path: "message")]),
        ResourceType(group: "coordination.k8s.io", version: "v1", kind: "Lease", plural: "leases", isNamespaced: true,
                     hasStatusSubresource: false,
                     printerColumns: [.init(name: "Holder", path: "spec.holderIdentity"), .init(name: "Age", path: "")]),
        ResourceType(group: "events.k8s.io", version: "v1", kind: "Event", plural: "events", isNamespaced: true, shortNames: ["ev"],
                     hasStatusSubresource: false),
        ResourceType(group: "policy", version: "v1", kind: "PodDisruptionBudget", plural: "poddisruptionbudgets", isNamespaced: true,
                     shortNames: ["pdb"]),
        ResourceType.customResourceDefinition,
        ResourceType(group: "admissionregistration.k8s.io", version: "v1", kind: "ValidatingWebhookConfiguration",
                     plural: "validatingwebhookconfigurations", isNamespaced: false, hasStatusSubresource: false,
                     categories: ["api-extensions"]),
    ]

    /// `apiextensions.k8s.io/v1` CustomResourceDefinition: creating one serves its kind.
    public static let customResourceDefinition = ResourceType(
        group: "apiextensions.k8s.io", version: "v1", kind: "CustomResourceDefinition", plural: "customresourcedefinitions",
        isNamespaced: false, shortNames: ["crd", "crds"],
        printerColumns: [.init(name: "Created At", path: ".metadata.creationTimestamp", type: "string")],
        categories: ["api-extensions"])

    var isCustomResourceDefinition: Bool { group == "apiextensions.k8s.io" && plural == "customresourcedefinitions" }
}
