import Foundation
import N8sCore

/// The scenario's spelling of a MIG geometry: profiles joined by `+`, each optionally followed by
/// `*<count>`, e.g. `1g.10gb*7` or `3g.40gb+2g.20gb+1g.10gb*2`. Profiles are NVIDIA names
/// (`1g.10gb+me` cannot be written here, since `+` separates profiles; use the resource form
/// `1g.10gb.me`).
public enum GeometryText {
    /// Parses and checks `text` against `model`: every profile must exist and be placeable, and
    /// the whole geometry must fit one GPU (a layout must exist, found with N8sCore's
    /// ``LayoutSpace``).
    ///
    /// - Parameter field: the field path used in errors, e.g. `partitioning`.
    /// - Returns: profile NVIDIA name to count.
    /// - Throws: ``SimulationError/invalidField(field:reason:)`` naming `field`.
    public static func parse(_ text: String, field: String, model: GPUModel) throws(SimulationError) -> Geometry {
        let space: LayoutSpace
        do { space = try LayoutSpace(model) } catch {
            throw .invalidField(field: field, reason: "GPU model \(model.id) cannot be partitioned: \(error)")
        }
        var geometry: Geometry = [:]
        let parts = text.split(separator: "+", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        for part in parts {
            guard !part.isEmpty else { throw .invalidField(field: field, reason: "empty profile in geometry '\(text)'") }
            let pieces = part.split(separator: "*", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { throw .invalidField(field: field, reason: "'\(part)' has more than one '*'") }
            var count = 1
            if pieces.count == 2 {
                guard let n = Int(pieces[1]), n >= 1 else {
                    throw .invalidField(field: field, reason: "'\(part)': count '\(pieces[1])' is not a whole number ≥ 1")
                }
                count = n
            }
            let name = String(pieces[0])
            guard let profile = model.profile(named: name), profile.isPlaceable else {
                let known = model.placeableProfiles().map(\.name).joined(separator: ", ")
                throw .invalidField(field: field, reason: "unknown MIG profile '\(name)' for \(model.id) (known: \(known))")
            }
            geometry[profile.name, default: 0] += count
        }
        guard space.layout(for: geometry, keeping: []) != nil else {
            throw .invalidField(
                field: field,
                reason: "geometry '\(text)' does not fit one \(model.id) GPU (see `n8s geometries --model \(model.productLabels.first ?? model.id)`)"
            )
        }
        return geometry
    }

    /// `3g.40gb+1g.10gb*2`: largest profiles first, then by name; the inverse of ``parse(_:field:model:)``.
    public static func format(_ geometry: Geometry) -> String {
        geometry.filter { $0.value > 0 }
            .sorted { ($0.key.profileSortKey, $0.key) > ($1.key.profileSortKey, $1.key) }
            .map { $0.value == 1 ? $0.key : "\($0.key)*\($0.value)" }
            .joined(separator: "+")
    }
}

extension String {
    /// Compute slices then memory GB of a profile name (`3g.40gb` → (3, 40)), for ordering.
    var profileSortKey: Int {
        guard let m = firstMatch(of: /^([0-9]+)g\.([0-9]+)gb/), let g = Int(m.1), let gb = Int(m.2) else { return 0 }
        return g * 10_000 + gb
    }
}
