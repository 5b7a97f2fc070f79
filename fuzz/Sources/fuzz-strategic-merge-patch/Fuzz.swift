import N8sFuzzing

/// libFuzzer entry point: `strategic-merge-patch` (see `FuzzTarget.strategicMergePatch`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    FuzzTarget.strategicMergePatch.run(UnsafeBufferPointer(start: start, count: count))
    return 0
}
