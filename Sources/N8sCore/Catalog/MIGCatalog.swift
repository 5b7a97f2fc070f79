import Foundation

/// The known MIG-capable GPU models, loaded from `mig-profiles.yaml` (bundled) or an override file.
///
/// Pure value: no I/O except ``bundled()``, which reads the file shipped in the module's resources.
public struct MIGCatalog: Sendable {
    /// Models in file order.
    public var models: [GPUModel]

    public init(models: [GPUModel]) { self.models = models }

    /// The catalog shipped inside the product (NVIDIA facts per model, each with its source in the file).
    /// - Throws: ``CatalogError/missingBundledCatalog`` or any parsing error of the file.
    public static func bundled() throws(CatalogError) -> MIGCatalog {
        guard let url = Bundle.module.url(forResource: "mig-profiles", withExtension: "yaml"),
            let data = try? Data(contentsOf: url), let text = String(data: data, encoding: .utf8)
        else { throw .missingBundledCatalog }
        return try MIGCatalog(yaml: text)
    }

    /// Where a product string matched.
    public struct Match: Sendable, Hashable {
        public var model: GPUModel
        /// The catalog's spelling that matched (a product string or a GFD label).
        public var matched: String
        /// `false` when only a tolerant comparison matched (case, `NVIDIA-` prefix, spaces).
        public var isExact: Bool
    }

    /// Finds the model of a product string as the agent reports it (`status-gpu-<i>-model`) or as GPU
    /// Feature Discovery labels it (`nvidia.com/gpu.product`).
    ///
    /// Tolerates letter case, spaces vs `-`, and a missing `NVIDIA` prefix (old drivers report
    /// `A100-SXM4-40GB`).
    /// - Throws: ``CatalogError/singleStrategyUnsupported(product:profile:)`` for a `-MIG-<profile>`
    ///   suffix (device plugin `single` strategy); ``CatalogError/unknownModel(product:)`` otherwise.
    public func model(forProduct product: String) throws(CatalogError) -> Match {
        let trimmed = product.trimmingCharacters(in: .whitespaces)
        if trimmed.lowercased().contains("mig-"), let m = trimmed.firstMatch(of: /^(.+?)[- ]MIG-([0-9]+g\.[0-9]+gb\S*|INVALID)$/.ignoresCase()) {
            throw .singleStrategyUnsupported(product: trimmed, profile: String(m.2))
        }
        for model in models {
            for name in model.productLabels + model.products where name == trimmed {
                return Match(model: model, matched: name, isExact: true)
            }
        }
        let key = Self.normalized(trimmed)
        guard !key.isEmpty else { throw .unknownModel(product: product) }
        for model in models {
            for name in model.productLabels + model.products where Self.normalized(name) == key {
                return Match(model: model, matched: name, isExact: false)
            }
        }
        throw .unknownModel(product: trimmed)
    }

    /// The model with that catalog id (`a100-40gb`).
    public func model(id: String) -> GPUModel? { models.first { $0.id == id } }

    /// Lower case, spaces as `-`, characters outside `[a-z0-9._-]` dropped, `nvidia-` prefix dropped.
    static func normalized(_ text: String) -> String {
        var s = text.lowercased().replacingOccurrences(of: " ", with: "-")
        s = String(s.unicodeScalars.filter { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)) }.map(Character.init))
        if s.hasPrefix("nvidia-") { s.removeFirst("nvidia-".count) }
        return s
    }
}
