import KubeCore

/// One GPU of a node as the planner sees it.
public struct GPUView: Sendable {
    public var index: Int
    /// The product string the model was looked up by (per-GPU report, else the node label).
    public var product: String?
    /// The model and its compiled placement rules; `nil` when unknown or without placements.
    public var space: LayoutSpace?
    public var migMode: MIGMode?
    /// Instances with used/free, sorted by start; `nil` without a placement report.
    public var instances: [InstanceState]?
    /// `nil` when the GPU can be planned.
    public var unplannable: UnplannableReason?

    public var model: GPUModel? { space?.model }
}

/// A node as the planner sees it: labels, readiness, advertised MIG resources and per-GPU state.
///
/// Built from a core/v1 Node alone (annotations, labels, allocatable) with a catalog; pure.
public struct NodeView: Sendable {
    public var name: String
    /// `nvidia.com/gpu.product` label, as GFD writes it.
    public var productLabel: String?
    /// The catalog model matched by the product label, when it matched.
    public var labelModel: MIGCatalog.Match?
    /// `nvidia.com/mig.strategy` label (`single` or `mixed`).
    public var migStrategy: String?
    public var isAutoMIGEnabled: Bool
    public var isReady: Bool
    public var isCordoned: Bool
    /// `nvidia.com/mig-*` allocatable by profile in resource form, zero values kept (a profile
    /// advertised as `0` may no longer exist).
    public var advertisedMIG: [String: Quantity]
    /// `nvidia.com/gpu` allocatable: whole GPUs outside MIG mode (0 on a fully partitioned node).
    public var wholeGPUs: Quantity?
    /// GPUs with a report (or spec), by index.
    public var gpus: [GPUView]
    /// Node-wide reasons not to plan it (empty when it can be planned).
    public var unplannable: [UnplannableReason]
    public var annotations: NodeMIGAnnotations

    /// `true` when the node and at least one GPU can be planned.
    public var isPlannable: Bool { unplannable.isEmpty && gpus.contains { $0.unplannable == nil } }

    /// Reads `node`. When the agent has not echoed the partitioner's last plan, the layout comes
    /// from the spec (instances used in the status stay used) and ``isAwaitingEcho`` is `true`.
    public init(_ node: Node, catalog: MIGCatalog) {
        var lookups = CatalogLookups(catalog)
        self.init(node, lookups: &lookups)
    }

    /// The views of many nodes, compiling each GPU model's placement rules once for all of them
    /// (``init(_:catalog:)`` per node compiles them per node).
    public static func views(of nodes: [Node], catalog: MIGCatalog) -> [NodeView] {
        var lookups = CatalogLookups(catalog)
        return nodes.map { NodeView($0, lookups: &lookups) }
    }

    /// As ``init(_:catalog:)``, sharing catalog look-ups across the nodes of a snapshot.
    init(_ node: Node, lookups: inout CatalogLookups) {
        let labels = node.metadata.labels ?? [:]
        name = node.metadata.name ?? ""
        productLabel = labels[MIGAnnotations.gpuProductLabel]
        migStrategy = labels[MIGAnnotations.migStrategyLabel]
        isAutoMIGEnabled = labels[MIGAnnotations.autoMIGEnabled] == "true"
        isReady = node.isReady
        isCordoned = node.isUnschedulable
        var mig: [String: Quantity] = [:]
        for (resource, q) in node.status?.allocatable ?? [:] {
            if let profile = MIGProfile.resourceFormProfile(ofResource: resource) { mig[profile] = q }
        }
        advertisedMIG = mig
        wholeGPUs = node.status?.allocatable?["nvidia.com/gpu"]
        annotations = NodeMIGAnnotations(parsing: node.metadata.annotations ?? [:])
        var reasons: [UnplannableReason] = []
        if !isAutoMIGEnabled { reasons.append(.notLabelled) }
        if !isReady { reasons.append(.notReady) }
        if isCordoned { reasons.append(.cordoned) }
        var labelError: CatalogError?
        if let productLabel {
            do { labelModel = try lookups.model(forProduct: productLabel) } catch { labelError = error }
        }
        if case .singleStrategyUnsupported(let p, _) = labelError {
            reasons.append(.singleStrategy(product: p))
        } else if let migStrategy, migStrategy != "mixed" {
            reasons.append(.strategyLabel(migStrategy))
        }
        if !annotations.status.values.contains(where: { $0.instances != nil }) && !annotations.isAwaitingEcho {
            reasons.append(.noPlacementReport)
        }
        let broken = annotations.gpusWithErrors
        var views: [GPUView] = []
        let indexes = Set(annotations.status.keys).union(annotations.isAwaitingEcho ? Set(annotations.spec.keys) : [])
        for index in indexes.sorted() {
            let report = annotations.status[index]
            var view = GPUView(index: index, product: report?.model ?? productLabel, migMode: report?.migMode, instances: report?.instances)
            if annotations.isAwaitingEcho, let target = annotations.spec[index]?.placements {
                let usedNow = Set((report?.instances ?? []).filter(\.isUsed).map(\.placed))
                view.instances = target.map { InstanceState($0, isUsed: usedNow.contains($0)) }
            }
            view.unplannable = Self.gpuReason(&view, lookups: &lookups, broken: broken.contains(index), errors: annotations.errors)
            views.append(view)
        }
        if views.isEmpty, labelError != nil, let productLabel, case .unknownModel = labelError {
            reasons.append(.unknownModel(product: productLabel))
        }
        gpus = views
        unplannable = reasons
        if !gpus.isEmpty, !gpus.contains(where: { $0.unplannable == nil }), let first = gpus.first?.unplannable,
            !reasons.contains(first)
        {
            unplannable.append(first)
        }
    }

    /// `true` while the spec's plan id differs from the agent's echo.
    public var isAwaitingEcho: Bool { annotations.isAwaitingEcho }

    private static func gpuReason(
        _ view: inout GPUView, lookups: inout CatalogLookups, broken: Bool, errors: [AnnotationError]
    ) -> UnplannableReason? {
        if broken {
            let text = errors.filter { $0.key.contains("-gpu-\(view.index)-") }.map(\.description).joined(separator: "; ")
            return .malformedAnnotations(text)
        }
        guard let product = view.product else { return .unknownModel(product: "(none reported)") }
        let match: MIGCatalog.Match
        do { match = try lookups.model(forProduct: product) } catch {
            if case .singleStrategyUnsupported = error { return .singleStrategy(product: product) }
            return .unknownModel(product: product)
        }
        guard let space = lookups.space(of: match.model) else { return .modelWithoutPlacements(model: match.model.id) }
        view.space = space
        switch view.migMode {
        case .disabled: return .migDisabled(gpu: view.index)
        case .pending: return .migModePending(gpu: view.index)
        default: break
        }
        guard let instances = view.instances else { return .noPlacementReport }
        do { try space.validate(instances.map(\.placed)) } catch { return .invalidLayout(gpu: view.index, error.description) }
        return nil
    }
}
