/// Why the MIG catalog could not be loaded, or a GPU model could not be found in it.
public enum CatalogError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The text is not YAML, or not the catalog's shape at the top level; carries the parser's message.
    case malformedYAML(String)
    /// A key the schema does not have (often a typo). `field` is a path such as `profiles[2].placemnts`.
    case unknownField(model: String, field: String)
    /// A field is missing, has the wrong type, or contradicts another (e.g. a placement beyond the grid).
    case invalidField(model: String, field: String, reason: String)
    /// The bundled catalog is missing from the product's resources.
    case missingBundledCatalog
    /// No model in the catalog has this product string or `nvidia.com/gpu.product` label.
    case unknownModel(product: String)
    /// The product carries a `-MIG-<profile>` suffix: the device plugin runs the `single`
    /// strategy, which n8s does not support (it needs `mixed`).
    case singleStrategyUnsupported(product: String, profile: String)

    public var description: String {
        switch self {
        case .malformedYAML(let m): "MIG catalog is not valid YAML: \(m)"
        case .unknownField(let model, let field): "MIG catalog model '\(model)': unknown field '\(field)'"
        case .invalidField(let model, let field, let reason): "MIG catalog model '\(model)': field '\(field)' \(reason)"
        case .missingBundledCatalog: "the bundled MIG catalog (mig-profiles.yaml) is missing from the product"
        case .unknownModel(let p): "GPU model '\(p)' is not in the MIG catalog"
        case .singleStrategyUnsupported(let p, let profile):
            "GPU product '\(p)' carries the suffix '-MIG-\(profile)' of the device plugin's 'single' MIG strategy; n8s requires mig.strategy=mixed"
        }
    }

    /// `true` for the lookup failures that make one node unplannable (not a broken catalog).
    public var isLookupFailure: Bool {
        switch self {
        case .unknownModel, .singleStrategyUnsupported: true
        default: false
        }
    }
}
