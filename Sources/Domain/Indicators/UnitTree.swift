/// The units a report can be about: codes, names and who is under whom. Data, never fixed
/// levels: a province with districts and communes, or communes straight under the province.
public struct UnitTree: Sendable {
    public struct Unit: Sendable, Hashable, Codable {
        public let code: String
        public let name: String
        public let parent: String?

        public init(code: String, name: String, parent: String?) {
            self.code = code
            self.name = name
            self.parent = parent
        }
    }

    public let units: [String: Unit]
    private let children: [String: [String]]

    public init(_ units: [Unit]) {
        var byCode: [String: Unit] = [:]
        for unit in units { byCode[unit.code] = unit }
        self.units = byCode
        var children: [String: [String]] = [:]
        for unit in units {
            if let parent = unit.parent, parent != unit.code { children[parent, default: []].append(unit.code) }
        }
        self.children = children.mapValues { $0.sorted() }
    }

    /// A tree of one unit (a commune node's own).
    public init(single code: String, name: String) { self.init([Unit(code: code, name: name, parent: nil)]) }

    public func unit(_ code: String) -> Unit? { units[code] }

    public func name(_ code: String) -> String { units[code]?.name ?? code }

    /// The units directly below `code`, by code.
    public func children(of code: String) -> [String] { children[code] ?? [] }

    /// `code` and every unit below it (a cycle in damaged data is walked once).
    public func subtree(of code: String) -> [String] {
        var result: [String] = []
        var seen: Set<String> = []
        var stack = [code]
        while let next = stack.popLast() {
            guard seen.insert(next).inserted else { continue }
            result.append(next)
            stack.append(contentsOf: children(of: next).reversed())
        }
        return result
    }
}
