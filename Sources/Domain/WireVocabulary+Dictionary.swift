public import SyncCore

extension WireVocabulary {
    /// The dictionary both executables compress and inflate change sets with.
    public static let dictionary = WireDictionary(version1)
}
