import N8sFuzzing

/// libFuzzer entry point: `json-patch` (see `FuzzTarget.jsonPatch`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    FuzzTarget.jsonPatch.run(UnsafeBufferPointer(start: start, count: count))
    return 0
}
