import Yams

extension MIGCatalog {
    static let modelFields: Set<String> = [
        "id", "architecture", "verification", "products", "gfdProductLabels", "pciDeviceIds", "memoryGB",
        "totalMemoryMiB", "memorySlices", "computeSlices", "note", "profiles",
    ]
    static let profileFields: Set<String> = [
        "name", "variant", "nvmlProfile", "nvmlProfileId", "smiProfileId", "computeSlices", "memorySlices",
        "memoryMiB", "maxCount", "placements", "placementSize", "resourceName", "mediaExtensions",
    ]

    /// Parses and checks a catalog in the schema of `mig-profiles.yaml` (`schemaVersion: 1`).
    ///
    /// Checks, per model: no unknown keys (typos are errors, not ignored), required fields present
    /// and typed, unique profile names, every placement inside the grid (`start + placementSize <=
    /// memorySlices`), no duplicate starts, `maxCount` within 1...placements, compute slices within
    /// the model's, `resourceName` equal to `nvidia.com/mig-` + name with `+` → `.`. Unknown values
    /// (`null`, empty placements) are allowed: such profiles are simply not placeable.
    /// - Throws: ``CatalogError`` naming the model and the field.
    public init(yaml text: String) throws(CatalogError) {
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch { throw .malformedYAML("\(error)") }
        guard let top = root?.mapping else { throw .malformedYAML("the top level is not a mapping") }
        for (key, _) in top {
            let k = key.string ?? ""
            if !["schemaVersion", "date", "models"].contains(k) { throw .unknownField(model: "(catalog)", field: k) }
        }
        if let version = top["schemaVersion"], version.int != 1 {
            throw .invalidField(model: "(catalog)", field: "schemaVersion", reason: "must be 1")
        }
        guard let list = top["models"]?.sequence else {
            throw .invalidField(model: "(catalog)", field: "models", reason: "must be a list of models")
        }
        var models: [GPUModel] = []
        var seenProducts: [String: String] = [:]
        for (i, node) in list.enumerated() {
            let model = try Self.parseModel(node, index: i)
            if models.contains(where: { $0.id == model.id }) {
                throw .invalidField(model: model.id, field: "id", reason: "is used by two models")
            }
            for product in model.products + model.productLabels {
                let key = Self.normalized(product)
                if let other = seenProducts[key], other != model.id {
                    throw .invalidField(model: model.id, field: "products", reason: "'\(product)' is also a product of '\(other)'")
                }
                seenProducts[key] = model.id
            }
            models.append(model)
        }
        self.init(models: models)
    }

    private static func parseModel(_ node: Node, index: Int) throws(CatalogError) -> GPUModel {
        guard let map = node.mapping else { throw .invalidField(model: "models[\(index)]", field: "", reason: "is not a mapping") }
        guard let id = map["id"]?.string, !id.isEmpty else {
            throw .invalidField(model: "models[\(index)]", field: "id", reason: "is missing")
        }
        for (key, _) in map where !modelFields.contains(key.string ?? "") {
            throw .unknownField(model: id, field: key.string ?? "?")
        }
        let products = try strings(map["products"], model: id, field: "products")
        let labels = try strings(map["gfdProductLabels"], model: id, field: "gfdProductLabels")
        let grid = try optionalInt(map["memorySlices"], model: id, field: "memorySlices")
        guard let compute = try optionalInt(map["computeSlices"], model: id, field: "computeSlices"), compute > 0 else {
            throw .invalidField(model: id, field: "computeSlices", reason: "must be a positive integer")
        }
        if let grid, grid <= 0 || grid > 16 {
            throw .invalidField(model: id, field: "memorySlices", reason: "must be within 1...16, got \(grid)")
        }
        guard let profileNodes = map["profiles"]?.sequence else {
            throw .invalidField(model: id, field: "profiles", reason: "must be a list")
        }
        var profiles: [MIGProfile] = []
        for (j, p) in profileNodes.enumerated() {
            let profile = try parseProfile(p, model: id, path: "profiles[\(j)]", grid: grid, computeSlices: compute)
            if profiles.contains(where: { $0.name == profile.name }) {
                throw .invalidField(model: id, field: "profiles[\(j)].name", reason: "'\(profile.name)' appears twice")
            }
            profiles.append(profile)
        }
        return GPUModel(
            id: id, products: products, productLabels: labels, gridSize: grid, computeSlices: compute,
            verification: map["verification"]?.string ?? "unverified", profiles: profiles)
    }

    private static func parseProfile(
        _ node: Node, model: String, path: String, grid: Int?, computeSlices: Int
    ) throws(CatalogError) -> MIGProfile {
        guard let map = node.mapping else { throw .invalidField(model: model, field: path, reason: "is not a mapping") }
        for (key, _) in map where !profileFields.contains(key.string ?? "") {
            throw .unknownField(model: model, field: "\(path).\(key.string ?? "?")")
        }
        guard let name = map["name"]?.string, name.wholeMatch(of: /[0-9]+g\.[0-9]+gb([+-][a-z]+(\.[a-z]+)*)?/) != nil else {
            throw .invalidField(model: model, field: "\(path).name", reason: "must be a profile name such as '1g.10gb' or '1g.10gb+me'")
        }
        let at = "\(path) (\(name))"
        guard let g = try optionalInt(map["computeSlices"], model: model, field: "\(at).computeSlices"), g > 0, g <= computeSlices else {
            throw .invalidField(model: model, field: "\(at).computeSlices", reason: "must be within 1...\(computeSlices)")
        }
        guard let maxCount = try optionalInt(map["maxCount"], model: model, field: "\(at).maxCount"), maxCount > 0 else {
            throw .invalidField(model: model, field: "\(at).maxCount", reason: "must be a positive integer")
        }
        let size = try optionalInt(map["placementSize"], model: model, field: "\(at).placementSize")
        let placements = try ints(map["placements"], model: model, field: "\(at).placements")
        if !placements.isEmpty {
            guard let grid else {
                throw .invalidField(model: model, field: "memorySlices", reason: "is unknown but '\(name)' lists placements")
            }
            guard let size, size > 0 else {
                throw .invalidField(model: model, field: "\(at).placementSize", reason: "must be a positive integer when placements are listed")
            }
            if Set(placements).count != placements.count {
                throw .invalidField(model: model, field: "\(at).placements", reason: "lists a start twice")
            }
            for start in placements where start < 0 || start + size > grid {
                throw .invalidField(model: model, field: "\(at).placements", reason: "start \(start) with size \(size) lies beyond the grid of \(grid) units")
            }
            if maxCount > placements.count {
                throw .invalidField(model: model, field: "\(at).maxCount", reason: "\(maxCount) exceeds the \(placements.count) allowed placements")
            }
        }
        let variant = map["variant"]?.string ?? "base"
        let expectedResource = MIGProfile.resourcePrefix + MIGProfile.resourceForm(of: name)
        if let resource = map["resourceName"]?.string, resource != expectedResource {
            throw .invalidField(model: model, field: "\(at).resourceName", reason: "is '\(resource)', expected '\(expectedResource)'")
        }
        if (variant == "base") != !(name.contains("+") || name.dropFirst(3).contains("-")) {
            throw .invalidField(model: model, field: "\(at).variant", reason: "'\(variant)' does not match the name's suffix")
        }
        let me = map["mediaExtensions"]?.bool ?? name.contains("+me")
        return MIGProfile(
            name: name, variant: variant, computeSlices: g, placementSize: size, placements: placements,
            maxCount: maxCount, memoryMiB: try optionalInt(map["memoryMiB"], model: model, field: "\(at).memoryMiB"),
            hasMediaExtensions: me)
    }

    private static func optionalInt(_ node: Node?, model: String, field: String) throws(CatalogError) -> Int? {
        guard let node, node.null == nil else { return nil }
        guard let v = node.int else { throw .invalidField(model: model, field: field, reason: "must be an integer or null") }
        return v
    }

    private static func ints(_ node: Node?, model: String, field: String) throws(CatalogError) -> [Int] {
        guard let node, node.null == nil else { return [] }
        guard let seq = node.sequence else { throw .invalidField(model: model, field: field, reason: "must be a list of integers") }
        var out: [Int] = []
        for item in seq {
            guard let v = item.int else { throw .invalidField(model: model, field: field, reason: "must be a list of integers") }
            out.append(v)
        }
        return out
    }

    private static func strings(_ node: Node?, model: String, field: String) throws(CatalogError) -> [String] {
        guard let node, node.null == nil else { return [] }
        guard let seq = node.sequence else { throw .invalidField(model: model, field: field, reason: "must be a list of strings") }
        var out: [String] = []
        for item in seq {
            guard let v = item.string else { throw .invalidField(model: model, field: field, reason: "must be a list of strings") }
            out.append(v)
        }
        return out
    }
}
