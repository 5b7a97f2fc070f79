import ArgumentParser
import Foundation
import N8sCore

struct Geometries: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the MIG profiles, placements and every valid geometry of a GPU model."
    )

    @Option(help: "GPU model: product string or nvidia.com/gpu.product label, e.g. NVIDIA-H100-80GB-HBM3.")
    var model: String

    @Option(help: "Output format: table or json.")
    var output: OutputFormat = .table

    @Flag(help: "Include variant profiles (+me, +gfx, -me, ...).")
    var variants = false

    @Option(help: "MIG catalog override file (same schema as mig-profiles.yaml).")
    var catalog: String?

    func run() async throws {
        let cat = try loadCatalog(catalog)
        let match = try cat.model(forProduct: model)
        let space = try LayoutSpace(match.model)
        let geometries = space.geometries(includingVariants: variants)
        let profiles = space.profiles.filter { variants || !$0.isVariant }
        switch output {
        case .json:
            let object: [String: Any] = [
                "model": match.model.id,
                "matched": match.matched,
                "gridSize": space.grid,
                "profiles": profiles.map {
                    ["name": $0.name, "resourceName": $0.resourceName, "computeSlices": $0.computeSlices,
                     "size": $0.placementSize ?? 0, "maxCount": $0.maxCount, "placements": $0.placements] as [String: Any]
                },
                "geometries": geometries,
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        case .table:
            print("model \(match.model.id) (matched '\(match.matched)'\(match.isExact ? "" : ", tolerant match")), \(space.grid) placement units, \(match.model.computeSlices) compute slices")
            print("")
            print(pad("PROFILE", 16) + pad("RESOURCE", 34) + pad("G", 3) + pad("SIZE", 6) + pad("MAX", 5) + "STARTS")
            for p in profiles {
                print(pad(p.name, 16) + pad(p.resourceName, 34) + pad("\(p.computeSlices)", 3) + pad("\(p.placementSize ?? 0)", 6)
                    + pad("\(p.maxCount)", 5) + p.placements.map(String.init).joined(separator: ","))
            }
            print("")
            print("\(geometries.count) valid geometries:")
            for g in geometries { print("  " + N8sCore.Geometries.describe(g)) }
        }
    }
}

func pad(_ s: String, _ width: Int) -> String { s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count) }

func loadCatalog(_ path: String?) throws -> MIGCatalog {
    guard let path else { return try MIGCatalog.bundled() }
    return try MIGCatalog(yaml: try InputFile.text(path, role: "MIG catalog"))
}
