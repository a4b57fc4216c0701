/// A small map from field name to value, kept sorted by name. Records have a few dozen fields
/// at most: a sorted array beats hashing on every access, and its order is already the
/// canonical order the encodings and the state hash need.
public struct FieldMap<Value: Hashable & Sendable>: Hashable, Sendable, Sequence, ExpressibleByDictionaryLiteral {
    public struct Slot: Hashable, Sendable {
        public let name: String
        public var value: Value
    }

    public private(set) var elements: [Slot]

    public init() { elements = [] }

    public init(_ dictionary: [String: Value]) {
        elements = dictionary.map { Slot(name: $0.key, value: $0.value) }.sorted { $0.name < $1.name }
    }

    public init(dictionaryLiteral pairs: (String, Value)...) {
        self.init(Dictionary(pairs, uniquingKeysWith: { _, last in last }))
    }

    /// Elements already sorted by name, without duplicates (decoders check this).
    init(sorted elements: [Slot]) { self.elements = elements }

    public var count: Int { elements.count }
    public var isEmpty: Bool { elements.isEmpty }
    public var keys: [String] { elements.map(\.name) }
    public var values: [Value] { elements.map(\.value) }

    /// The index of `name`, or where it would be inserted.
    private func position(of name: String) -> (index: Int, found: Bool) {
        var low = 0
        var high = elements.count
        while low < high {
            let middle = (low + high) / 2
            let candidate = elements[middle].name
            if candidate == name { return (middle, true) }
            if candidate < name { low = middle + 1 } else { high = middle }
        }
        return (low, false)
    }

    public subscript(name: String) -> Value? {
        get {
            let (index, found) = position(of: name)
            return found ? elements[index].value : nil
        }
        set {
            let (index, found) = position(of: name)
            switch (found, newValue) {
            case (true, .some(let value)): elements[index].value = value
            case (true, .none): elements.remove(at: index)
            case (false, .some(let value)): elements.insert(Slot(name: name, value: value), at: index)
            case (false, .none): break
            }
        }
    }

    public struct Iterator: IteratorProtocol {
        var base: IndexingIterator<[Slot]>
        public mutating func next() -> (name: String, value: Value)? {
            guard let slot = base.next() else { return nil }
            return (slot.name, slot.value)
        }
    }

    public func makeIterator() -> Iterator { Iterator(base: elements.makeIterator()) }

    public func mapValues<T: Hashable & Sendable>(_ transform: (Value) throws -> T) rethrows -> FieldMap<T> {
        FieldMap<T>(sorted: try elements.map { FieldMap<T>.Slot(name: $0.name, value: try transform($0.value)) })
    }

    public var dictionary: [String: Value] {
        Dictionary(uniqueKeysWithValues: elements.map { ($0.name, $0.value) })
    }
}
