// swift-tools-version:6.2
import PackageDescription

// libFuzzer executables over n8s's parsers of outside input, one per `FuzzTarget`. A package of its
// own so the instrumented build (`-sanitize=fuzzer,address`, libFuzzer's driver called from each `main`) never touches the normal one.
// Build and run them with `scripts/fuzz`.
let package = Package(
    name: "n8s-fuzz",
    dependencies: [.package(name: "n8s", path: "..")],
    targets: [
        .target(name: "CFuzzer"),
        .executableTarget(name: "fuzz-annotations", dependencies: ["CFuzzer", .product(name: "N8sFuzzing", package: "n8s")]),
        .executableTarget(name: "fuzz-quantity", dependencies: ["CFuzzer", .product(name: "N8sFuzzing", package: "n8s")]),
        .executableTarget(name: "fuzz-admission-review", dependencies: ["CFuzzer", .product(name: "N8sFuzzing", package: "n8s")]),
        .executableTarget(name: "fuzz-label-selector", dependencies: ["CFuzzer", .product(name: "N8sFuzzing", package: "n8s")]),
        .executableTarget(name: "fuzz-field-selector", dependencies: ["CFuzzer", .product(name: "N8sFuzzing", package: "n8s")]),
        .executableTarget(name: "fuzz-json-patch", dependencies: ["CFuzzer", .product(name: "N8sFuzzing", package: "n8s")]),
        .executableTarget(name: "fuzz-merge-patch", dependencies: ["CFuzzer", .product(name: "N8sFuzzing", package: "n8s")]),
        .executableTarget(name: "fuzz-strategic-merge-patch", dependencies: ["CFuzzer", .product(name: "N8sFuzzing", package: "n8s")]),
        .executableTarget(name: "fuzz-scenario", dependencies: ["CFuzzer", .product(name: "N8sFuzzing", package: "n8s")]),
        .executableTarget(name: "fuzz-kubeconfig", dependencies: ["CFuzzer", .product(name: "N8sFuzzing", package: "n8s")]),
        .executableTarget(name: "fuzz-pod-resources", dependencies: ["CFuzzer", .product(name: "N8sFuzzing", package: "n8s")]),
    ],
    swiftLanguageModes: [.v6]
)
