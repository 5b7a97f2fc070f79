/// Catalog look-ups memoized across the nodes of one snapshot: a cluster has a few GPU products,
/// and compiling a model's ``LayoutSpace`` or matching a product string per GPU dominated planning
/// time on large clusters. Valid for one catalog only; the planner makes one per plan.
struct CatalogLookups {
    let catalog: MIGCatalog
    private var products: [String: Result<MIGCatalog.Match, CatalogError>] = [:]
    /// By model id; `nil` when the model has no placement grid.
    private var spaces: [String: LayoutSpace?] = [:]

    init(_ catalog: MIGCatalog) { self.catalog = catalog }

    /// ``MIGCatalog/model(forProduct:)``, once per distinct product string.
    mutating func model(forProduct product: String) throws(CatalogError) -> MIGCatalog.Match {
        if let known = products[product] { return try known.get() }
        let result: Result<MIGCatalog.Match, CatalogError>
        do { result = .success(try catalog.model(forProduct: product)) } catch { result = .failure(error) }
        products[product] = result
        return try result.get()
    }

    /// The compiled placement rules of `model`, once per model id; `nil` without a placement grid.
    mutating func space(of model: GPUModel) -> LayoutSpace? {
        if let known = spaces[model.id] { return known }
        let space = try? LayoutSpace(model)
        spaces[model.id] = .some(space)
        return space
    }
}
