import Foundation

/// A text and its label, and where it was read (for messages).
public struct LabelledText: Equatable, Sendable {
    public var text: String
    public var label: String
    public var file: String
    /// 1-based line of the text in `file`.
    public var line: Int

    public init(text: String, label: String, file: String, line: Int) {
        self.text = text
        self.label = label
        self.file = file
        self.line = line
    }
}

/// Reads labelled texts for `train --task classify` and `eval` of a classifier:
///
/// - a TSV file, one `text<TAB>label` a line (blank lines and lines starting with `#` skipped);
/// - a ChatterBot corpus (`.yml`): every question of its conversations (each message that has an
///   answer after it), labelled by the file's first category;
/// - a directory: every `.tsv`, `.yml` and `.yaml` file in it, in name order.
///
/// The same text under the same label is kept once. Problems are `DataError`s naming file and line.
public enum LabelledTextReader {
    public static func read(_ path: String) throws -> [LabelledText] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DataError(file: path, "no such file or directory")
        }
        var texts: [LabelledText] = []
        if isDirectory.boolValue {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [])
                .filter { ["tsv", "yml", "yaml"].contains(URL(fileURLWithPath: $0).pathExtension.lowercased()) && !$0.hasPrefix(".") }
                .sorted()
            for name in names { texts += try readFile((path as NSString).appendingPathComponent(name)) }
        } else {
            texts = try readFile(path)
        }
        guard !texts.isEmpty else { throw DataError(file: path, "no labelled texts in it") }
        var seen = Set<[String]>()
        return texts.filter { seen.insert([$0.text, $0.label]).inserted }
    }

    static func readFile(_ path: String) throws -> [LabelledText] {
        let file = try TextFile(path: path)
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "yml", "yaml":
            let (categories, pairs) = try ChatterBotCorpus.readWithCategories(file)
            guard let label = categories.first?.trimmingCharacters(in: .whitespaces), !label.isEmpty else {
                throw DataError(file: path, "no categories: a corpus's first category is the label of its texts")
            }
            return pairs.map { LabelledText(text: $0.question, label: label, file: path, line: $0.line) }
        default:
            return try readTSV(file)
        }
    }

    static func readTSV(_ file: TextFile) throws -> [LabelledText] {
        var texts: [LabelledText] = []
        for (index, line) in file.lines.enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            let number = index + 1
            guard fields.count == 2 else {
                throw DataError(file: file.path, line: number, fields.count == 1
                                ? "no tab; a line is text<TAB>label" : "\(fields.count - 1) tabs; a line is text<TAB>label with one tab")
            }
            let text = fields[0].trimmingCharacters(in: .whitespaces), label = fields[1].trimmingCharacters(in: .whitespaces)
            if text.isEmpty { throw DataError(file: file.path, line: number, "empty text before the tab") }
            if label.isEmpty { throw DataError(file: file.path, line: number, "no label after the tab") }
            texts.append(LabelledText(text: text, label: label, file: file.path, line: number))
        }
        return texts
    }
}

/// Reads plain UTF-8 text for the language model (`train --task lm`, `eval`): a file, or every
/// `.txt` file of a directory in name order. Each line's tokens are followed by a `"\n"`
/// token, so the model learns where lines end.
public enum PlainTextReader {
    /// The token that ends each line.
    public static let newline = "\n"

    /// The files' lines, in order.
    public static func read(_ path: String) throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DataError(file: path, "no such file or directory")
        }
        guard isDirectory.boolValue else { return try TextFile(path: path).lines }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [])
            .filter { $0.lowercased().hasSuffix(".txt") && !$0.hasPrefix(".") }.sorted()
        guard !names.isEmpty else { throw DataError(file: path, "no .txt files in this directory") }
        return try names.flatMap { try TextFile(path: (path as NSString).appendingPathComponent($0)).lines }
    }

    /// The tokens of `lines`: each line's (as written when the tokenizer `keepsText`), then `"\n"`.
    public static func tokens(_ lines: [String], tokenizer: Tokenizer) -> [String] {
        var tokens: [String] = []
        for line in lines {
            tokens += tokenizer.tokenizeAnswer(line)
            tokens.append(newline)
        }
        return tokens
    }
}

/// A token stream cut for truncated backpropagation through time, as char-rnn does: the
/// stream is split into B equal rows, read side by side; batch k holds window k of every row
/// (`steps` tokens, the last window maybe fewer), and row b of batch k+1 continues row b of
/// batch k, so the model carries its state across. The same windows every epoch, in order.
public struct TextWindows: Sendable {
    public let ids: [Int32]
    public let batchSize: Int
    public let steps: Int
    /// Tokens each row reads (its targets run one further).
    public let rowLength: Int

    /// nil when the stream is too short to give each row one input and one target.
    public init?(ids: [Int32], batchSize: Int, steps: Int) {
        precondition(batchSize > 0 && steps > 0)
        let rowLength = (ids.count - 1) / batchSize
        guard rowLength >= 1 else { return nil }
        self.ids = ids
        self.batchSize = batchSize
        self.steps = steps
        self.rowLength = rowLength
    }

    public var batchCount: Int { (rowLength + steps - 1) / steps }

    public func batch(_ k: Int) -> TextBatch {
        let B = batchSize, start = k * steps, T = min(steps, rowLength - start)
        var inputs = [Int32](repeating: 0, count: T * B), targets = inputs
        for b in 0..<B {
            let base = b * rowLength + start
            for t in 0..<T {
                inputs[t * B + b] = ids[base + t]
                targets[t * B + b] = ids[base + t + 1]
            }
        }
        return TextBatch(inputs: inputs, targets: targets, mask: [Float](repeating: 1, count: T * B),
                         steps: T, batchSize: B, continuesPrevious: k > 0)
    }

    public var batches: [TextBatch] { (0..<batchCount).map(batch) }
}
