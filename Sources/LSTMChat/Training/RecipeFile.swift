import Foundation
import Yams

extension Recipe {
    /// Sets `key` from its text, as a flag or a config file gives it; the message says what a
    /// valid value is.
    public mutating func set(_ key: Key, to text: String) throws(RecipeValueError) {
        func whole(_ least: Int) throws(RecipeValueError) -> Int {
            guard let n = Int(text), n >= least else { throw RecipeValueError(key, least == 0 ? "must be 0 or more" : "must be at least \(least)") }
            return n
        }
        func share(_ valid: (Float) -> Bool, _ range: String) throws(RecipeValueError) -> Float {
            guard let x = Float(text), valid(x) else { throw RecipeValueError(key, "must be in \(range)") }
            return x
        }
        switch key {
        case .questions: data.questions = text
        case .answers: data.answers = text
        case .format:
            guard DataFormat(rawValue: text) != nil else { throw RecipeValueError(key, "must be tsv, parallel or yaml") }
            data.format = text
        case .tokenizer:
            guard let kind = Tokenizer.Kind(rawValue: text) else { throw RecipeValueError(key, "must be word or char") }
            tokenizer = kind
        case .embed: embed = try whole(1)
        case .hidden: hidden = try whole(1)
        case .layers: layers = try whole(1)
        case .attention:
            switch text.lowercased() {
            case "on", "true", "yes": attention = true
            case "off", "false", "no": attention = false
            default: throw RecipeValueError(key, "must be on or off")
            }
        case .minCount: minCount = try whole(1)
        case .maxVocab:
            guard let n = Int(text), n >= 5 else { throw RecipeValueError(key, "must be at least 5 (4 special tokens and a word)") }
            maxVocab = n
        case .softmax:
            guard let kind = ModelConfig.Softmax(rawValue: text) else { throw RecipeValueError(key, "must be full or adaptive") }
            softmax = kind
        case .cutoffs:
            let list = text.split(separator: ",", omittingEmptySubsequences: false).compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard list.count == text.split(separator: ",", omittingEmptySubsequences: false).count, list.first! > 0,
                  zip(list, list.dropFirst()).allSatisfy({ $0 < $1 }) else {
                throw RecipeValueError(key, "must be increasing whole numbers above 0, separated by commas (2000,10000)")
            }
            cutoffs = list
        case .epochs: epochs = try whole(1)
        case .lr: lr = try share({ $0 > 0 && $0.isFinite }, "(0, ∞)")
        case .lrDecay: lrDecay = try share({ $0 > 0 && $0 <= 1 }, "(0, 1]")
        case .lrFloor: lrFloor = try share({ $0 >= 0 && $0 <= 1 }, "[0, 1]")
        case .clip: clip = try share({ $0 >= 0 && $0.isFinite }, "[0, ∞)")
        case .dropout: dropout = try share({ $0 >= 0 && $0 < 1 }, "[0, 1)")
        case .wordDropout: wordDropout = try share({ $0 >= 0 && $0 < 1 }, "[0, 1)")
        case .batchSize: batchSize = try whole(1)
        case .seed:
            guard let n = UInt64(text) else { throw RecipeValueError(key, "must be a whole number ≥ 0") }
            seed = n
        case .maxLength: maxLength = try whole(1)
        case .seqLength: seqLength = try whole(1)
        case .valFraction: valFraction = Double(try share({ $0 >= 0 && $0 < 1 }, "[0, 1)"))
        case .untilAccuracy: untilAccuracy = try share({ $0 > 0 && $0 <= 1 }, "(0, 1]")
        case .exactMatchSample: exactMatchSample = try whole(0)
        case .unrelated: unrelated = text
        case .keywords: keywords = text
        }
    }

    /// The recipe as a config file: `task`, `data` and every key its task takes, one a line, so
    /// that `lstmchat train --config FILE` repeats the run.
    public func configFile(keys: Set<Key>) -> String {
        var lines = ["# lstmchat train --config FILE repeats this run (flags on the command line win).",
                     "task: \(task.rawValue)"]
        if let path = data.data { lines.append("data: \(Self.quoted(path))") }
        for key in Key.allCases where keys.contains(key) {
            if let value = text(of: key) { lines.append("\(key.rawValue): \(Self.quoted(value))") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A YAML scalar that reads back as the same string.
    static func quoted(_ text: String) -> String {
        let plain = text.allSatisfy { $0.isLetter || $0.isNumber || "._-/+".contains($0) } && !text.isEmpty
        return plain ? text : "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }
}

/// A value a recipe key cannot take: "--lr-decay must be in (0, 1]".
public struct RecipeValueError: Error, CustomStringConvertible, Equatable, Sendable {
    public let key: Recipe.Key
    public let problem: String
    public init(_ key: Recipe.Key, _ problem: String) { self.key = key; self.problem = problem }
    public var description: String { "\(key.flag) \(problem)" }
}

/// `train --config FILE`: the keys of a recipe, as `config.yaml` in a run's directory writes
/// them (a flat YAML mapping: `task`, `data`, and flag names without their dashes).
public struct RecipeConfigFile: Sendable {
    public var task: ModelTask?
    public var data: String?
    /// The recipe keys in the file, with their text and line.
    public var values: [(key: Recipe.Key, text: String, line: Int)] = []
    public let path: String

    public static func read(_ path: String) throws -> RecipeConfigFile {
        let text = try TextFile(path: path).text
        var file = RecipeConfigFile(path: path)
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw DataError(file: path, "not valid YAML: \(error)")
        }
        guard let root else { return file }
        guard let mapping = root.mapping else { throw DataError(file: path, line: root.mark.map { $0.line }, "not a mapping of keys to values") }
        for (keyNode, valueNode) in mapping {
            let line = keyNode.mark?.line
            guard let name = keyNode.scalar?.string else { throw DataError(file: path, line: line, "a key must be a name") }
            guard let value = valueNode.scalar?.string else { throw DataError(file: path, line: line, "\(name): the value must be one value, not a list or mapping") }
            switch name {
            case "task":
                guard let task = ModelTask(rawValue: value) else {
                    throw DataError(file: path, line: line, "task: must be \(ModelTask.allCases.map(\.rawValue).joined(separator: ", ")), not \"\(Terminal.printable(value))\"")
                }
                file.task = task
            case "data": file.data = value
            default:
                guard let key = Recipe.Key(rawValue: name) else {
                    throw DataError(file: path, line: line, "unknown key \"\(Terminal.printable(name))\" (the keys are task, data and train's flags without their dashes)")
                }
                file.values.append((key, value, line ?? 0))
            }
        }
        return file
    }

    /// Puts the file's values into `recipe`, refusing keys the recipe's task does not take.
    public func apply(to recipe: inout Recipe) throws {
        for (key, text, line) in values {
            guard recipe.task.definition.keys.contains(key) else {
                throw DataError(file: path, line: line, "\(key.rawValue) applies to task \(key.taskNames) only")
            }
            do { try recipe.set(key, to: text) } catch {
                throw DataError(file: path, line: line, "\(key.rawValue) \(error.problem)")
            }
        }
    }
}
