import N8sFuzzing

/// libFuzzer entry point: `scenario` (see `FuzzTarget.scenario`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    FuzzTarget.scenario.run(UnsafeBufferPointer(start: start, count: count))
    return 0
}
