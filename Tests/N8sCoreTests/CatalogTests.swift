import Testing
@testable import N8sCore

@Suite("MIG catalog")
struct CatalogTests {
    @Test("the bundled catalog loads every model")
    func bundled() throws {
        let catalog = try MIGCatalog.bundled()
        #expect(catalog.models.count == 15)
        #expect(catalog.model(id: "a100-40gb")?.gridSize == 8)
        #expect(catalog.model(id: "a30-24gb")?.gridSize == 4)
        #expect(catalog.model(id: "rtx-pro-6000-blackwell")?.gridSize == 12)
        #expect(catalog.model(id: "rtx-pro-5000-blackwell-48gb")?.isPlannable == false)
    }

    @Test("models are found tolerantly by product string or label", arguments: [
        ("NVIDIA-A100-SXM4-40GB", "a100-40gb", true),
        ("NVIDIA A100-SXM4-40GB", "a100-40gb", true),
        ("A100-SXM4-40GB", "a100-40gb", true),
        ("nvidia-a100-pcie-40gb", "a100-40gb", false),
        ("NVIDIA-A100-80GB-PCIe", "a100-80gb", true),
        ("NVIDIA-A100-80GB-PCIE", "a100-80gb", false),
        ("H100-80GB-HBM3", "h100-80gb", false),
        ("NVIDIA-H20", "h100-96gb", true),
        ("NVIDIA-H200", "h200-141gb", true),
    ])
    func lookup(product: String, id: String, exact: Bool) throws {
        let match = try Fixtures.catalog.model(forProduct: product)
        #expect(match.model.id == id)
        #expect(match.isExact == exact)
    }

    @Test("a -MIG- suffix is the single strategy and is reported unsupported", arguments: [
        "NVIDIA-A30-MIG-INVALID", "NVIDIA-H100-PCIe-MIG-1g.10gb", "NVIDIA-A100-SXM4-40GB-MIG-1g.5gb",
    ])
    func singleStrategy(product: String) {
        #expect(throws: CatalogError.self) { try Fixtures.catalog.model(forProduct: product) }
        do { _ = try Fixtures.catalog.model(forProduct: product) } catch {
            guard case .singleStrategyUnsupported = error else { Issue.record("wrong error \(error)"); return }
        }
    }

    @Test("an unknown model is a lookup failure naming the product")
    func unknown() {
        do {
            _ = try Fixtures.catalog.model(forProduct: "NVIDIA-L4")
            Issue.record("L4 matched")
        } catch {
            #expect(error == .unknownModel(product: "NVIDIA-L4"))
            #expect(error.isLookupFailure)
        }
    }

    @Test("variant profiles are known but excluded from default layouts")
    func variants() {
        let h100 = Fixtures.space("h100-80gb")
        #expect(h100.model.profile(named: "1g.10gb.me")?.name == "1g.10gb+me")
        #expect(h100.model.profile(named: "1g.10gb+me")?.resourceName == "nvidia.com/mig-1g.10gb.me")
        #expect(!h100.geometries().contains { $0.keys.contains("1g.10gb+me") })
        #expect(h100.geometries(includingVariants: true).contains { $0.keys.contains("1g.10gb+me") })
        let rtx = Fixtures.space("rtx-pro-6000-blackwell")
        #expect(rtx.model.profile(named: "1g.24gb-me")?.resourceName == "nvidia.com/mig-1g.24gb-me")
    }

    static let good = """
        schemaVersion: 1
        models:
          - id: toy
            products: ["Toy GPU"]
            gfdProductLabels: ["Toy-GPU"]
            memorySlices: 4
            computeSlices: 4
            profiles:
              - name: "1g.5gb"
                variant: base
                computeSlices: 1
                memorySlices: 1
                maxCount: 4
                placements: [0, 1, 2, 3]
                placementSize: 1
                resourceName: nvidia.com/mig-1g.5gb
        """

    @Test("an override file with the same schema loads")
    func override() throws {
        let catalog = try MIGCatalog(yaml: Self.good)
        #expect(try catalog.model(forProduct: "toy gpu").model.id == "toy")
    }

    @Test("inconsistent catalogs are rejected naming model and field", arguments: [
        ("placementSize: 1", "placementSize: 1\n        placemnts: [0]", "placemnts"),
        ("placements: [0, 1, 2, 3]", "placements: [0, 1, 2, 4]", "placements"),
        ("placements: [0, 1, 2, 3]", "placements: [0, 1, 1, 3]", "placements"),
        ("maxCount: 4", "maxCount: 9", "maxCount"),
        ("resourceName: nvidia.com/mig-1g.5gb", "resourceName: nvidia.com/mig-1g.6gb", "resourceName"),
        ("    computeSlices: 4", "    computeSlice: 4", "computeSlice"),
        ("        computeSlices: 1", "        computeSlices: 5", "computeSlices"),
    ])
    func rejected(original: String, replacement: String, field: String) {
        let text = Self.good.replacingOccurrences(of: original, with: replacement)
        #expect(text != Self.good)
        do {
            _ = try MIGCatalog(yaml: text)
            Issue.record("accepted: \(replacement)")
        } catch {
            #expect(error.description.contains("toy"), "\(error)")
            #expect(error.description.contains(field), "\(error)")
        }
    }
}
