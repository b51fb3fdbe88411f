import Foundation
import LSTMChat
import Testing

/// The model `make chat` opens: it loads, and answers the corpus it was trained on.
@Suite struct BundledModelTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized

    @Test func answersItsCorpusGreetings() throws {
        let result = try LSTMChatBinary.run(["eval", "--checkpoint", "checkpoints/default", "datasets/chatterbot-english/greetings.yml", "--json"],
                                            in: Self.root)
        #expect(result.status == 0, "\(result.stderr)")
        let figures = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        // 8 of the 11 (the model of 2026-11-26). The other three get another answer the corpus gives:
        // "hi" → "how are you doing?" (conversations.yml), and "thank you." for two ways of saying
        // "nice to meet you" whose greetings.yml answer is "thank you. you too.".
        #expect((figures["accuracy"] as? Double ?? 0) >= 0.7)
    }

    @Test func chatsThroughAPipeWithTheDefaultCheckpoint() throws {
        let result = try LSTMChatBinary.run(["chat"], stdin: "hi\nwhat is ai?\n", in: Self.root)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.split(separator: "\n", omittingEmptySubsequences: false).count == 3)  // two answers and the final newline
    }

    /// The reworded questions are scored with the answers `ask` gives: `--show`'s answers are `ask`'s.
    @Test func scoresTheRewordedQuestionsAsAskAnswersThem() throws {
        let result = try LSTMChatBinary.run(["eval", "--keywords", "datasets/chatterbot-english-reworded.tsv", "--show"], in: Self.root)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 96)
        let answered = lines.dropLast().filter { $0.hasPrefix("yes") }.count
        #expect(lines.last == String(format: "key words: %d of 95 questions answered (%.1f%%)", answered, 100 * Double(answered) / 95))
        // Issue 26's target: at least 85% of the reworded questions answered.
        #expect(answered >= 81, "\(answered) of 95")
        // Every line's answer is ask's (never its fallback), asked as the same known question.
        let shown = lines.dropLast().map { line in
            let parts = line.components(separatedBy: "  ->  ")
            let question = parts[0].dropFirst(5).components(separatedBy: " (asked as: ")
            return (question: question[0], askedAs: question.dropFirst().first.map { String($0.dropLast()) }, answer: parts[1])
        }
        let asked = try LSTMChatBinary.run(["ask", "--min-confidence", "0", "--json"],
                                           stdin: shown.map { $0.question + "\n" }.joined(), in: Self.root)
        let replies = asked.stdout.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(replies.count == shown.count)
        for (line, reply) in zip(shown, replies) {
            #expect(reply?["reply"] as? String == line.answer, "\(line.question)")
            #expect(reply?["asked_as"] as? String == line.askedAs, "\(line.question)")
        }
    }

    /// A question in other words, asked as the corpus question it means (issue 13).
    @Test(arguments: [("which mammal has no vocal cords at all", "giraffe"), ("who invented the computer", "babbage")])
    func answersAQuestionInOtherWords(question: String, answer: String) throws {
        let result = try LSTMChatBinary.run(["ask", "--min-confidence", "0", question], in: Self.root)
        #expect(result.stdout.lowercased().contains(answer), "\(result.stdout)")
    }

    /// However the question is typed, the bundled model gives one answer (issue 13).
    @Test func answersAQuestionTheSameHoweverItIsTyped() throws {
        let forms = ["what is ai", "What is AI?", "what is AI .", "  WHAT is  ai!"]
        let answers = try forms.map { form in
            let result = try LSTMChatBinary.run(["ask", form], in: Self.root)
            #expect(result.status == 0, "\(result.stderr)")
            return result.stdout
        }
        #expect(Set(answers).count == 1, "\(answers)")
        #expect(answers[0].contains("intelligence") || answers[0].contains("field of science"))
    }

    /// Issue 17's targets at the threshold stored in the model: unrelated questions get the
    /// fallback, reworded and corpus questions answered right are still answered.
    @Test func itsConfidenceThresholdRefusesUnrelatedQuestionsAndKeepsRightAnswers() throws {
        let result = try LSTMChatBinary.run(["eval", "--unrelated", "datasets/chatterbot-english-unrelated.txt",
                                             "--keywords", "datasets/chatterbot-english-reworded.tsv", "--json", "datasets/chatterbot-english"],
                                            in: Self.root)
        #expect(result.status == 0, "\(result.stderr)")
        let figures = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let confidence = try #require(figures["confidence"] as? [String: Any])
        #expect(confidence["min_confidence"] as? Double != nil, "the bundled model has a threshold")
        #expect((confidence["unrelated_refused"] as? Double ?? 0) >= 0.9)  // issue 26's target
        #expect((confidence["corpus_right_kept"] as? Double ?? 0) >= 0.97)
        let rewordedLost = (confidence["reworded_right"] as? Double ?? 1) - (confidence["reworded_right_answered"] as? Double ?? 0)
        #expect(rewordedLost <= 0.10)
    }

    /// The corpus's distinct questions (as the model reads them) with all their answers as
    /// written, each asked once as `ask --json` asks it: fallback and matching as a user gets them.
    static func askCorpus(_ path: String) throws -> [(question: String, answers: Set<String>, reply: [String: Any])] {
        let tokenizer = Tokenizer(kind: .word, keepsText: true)
        var order: [[String]] = [], byQuestion: [[String]: (question: String, answers: Set<String>)] = [:]
        for pair in try DatasetReader.read(root.appendingPathComponent(path).path) {
            let key = tokenizer.tokenizeQuestion(pair.question)
            if byQuestion[key] == nil { order.append(key); byQuestion[key] = (pair.question, []) }
            byQuestion[key]!.answers.insert(tokenizer.detokenize(tokenizer.tokenizeAnswer(pair.answer)))
        }
        let questions = order.map { byQuestion[$0]! }
        let result = try LSTMChatBinary.run(["ask", "--json"], stdin: questions.map { $0.question + "\n" }.joined(), in: root)
        #expect(result.status == 0, "\(result.stderr)")
        let replies = result.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        try #require(replies.count == questions.count)
        return zip(questions, replies).map { ($0.question, $0.answers, $1) }
    }

    /// Issue 26: code comes back as the corpus wrote it (fence, line breaks, indentation,
    /// `bubble_sort(arr)`), for at least 90% of coding.yml's questions.
    @Test func writesTheCorpusCodeAsWritten() throws {
        let asked = try Self.askCorpus("datasets/chatterbot-english/coding.yml")
        let right = asked.filter { $0.answers.contains($0.reply["reply"] as? String ?? "") }
        #expect(Double(right.count) >= 0.9 * Double(asked.count), "\(right.count) of \(asked.count)")
        let bubbleSort = try #require(asked.first { $0.question == "can you write bubble sort?" })
        #expect(bubbleSort.answers.contains(bubbleSort.reply["reply"] as? String ?? ""), "\(bubbleSort.reply["reply"] ?? "")")
        #expect((bubbleSort.reply["reply"] as? String ?? "").contains("```\ndef bubble_sort(arr):\n    n = len(arr)\n"))
    }

    /// Issue 26: no corpus question is answered with a word or a pair of words three times in a
    /// row (unless the corpus answers it so), and at most 1% get the fallback.
    @Test func answersItsCorpusWithoutStutterOrFallback() throws {
        let asked = try Self.askCorpus("datasets/chatterbot-english")
        var stutters: [String] = [], fallbacks: [String] = []
        for (question, answers, reply) in asked {
            if reply["fallback"] as? Bool == true { fallbacks.append(question) }
            let first = (reply["answers"] as? [[String: Any]])?.first
            let words = (first?["tokens"] as? [String] ?? []).map { Tokenizer.unmarked($0).text }
            if Self.stutters(words), !answers.contains(first?["text"] as? String ?? "") { stutters.append(question) }
        }
        #expect(stutters.isEmpty, "\(stutters)")
        #expect(Double(fallbacks.count) <= 0.01 * Double(asked.count), "\(fallbacks.count) of \(asked.count): \(fallbacks)")
    }

    /// Through a pipe, a multi-line answer takes one line, escaped as a TSV answer; --json has it as written.
    @Test func aMultiLineAnswerTakesOneLineThroughAPipe() throws {
        let question = "can you write bubble sort?\n"
        let json = try LSTMChatBinary.run(["ask", "--json"], stdin: question, in: Self.root)
        let written = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])["reply"] as? String
        #expect(written?.contains("\n    n = len(arr)\n") == true)
        for command in ["ask", "chat"] {
            let piped = try LSTMChatBinary.run([command], stdin: question + "hi\n", in: Self.root)
            let lines = piped.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.count == 3, "\(command): \(piped.stdout)")  // two answers and the final newline
            #expect(TSVField.unescaped(String(lines[0])) == written, "\(command)")
        }
    }

    /// A word, or a pair of tokens holding one, three times in a row.
    static func stutters(_ tokens: [String]) -> Bool {
        for unit in 1...2 where tokens.count >= 3 * unit {
            for start in 0...(tokens.count - 3 * unit) {
                let first = tokens[start..<start + unit]
                guard first.contains(where: { $0.contains { $0.isLetter || $0.isNumber } }) else { continue }
                if tokens[start + unit..<start + 2 * unit].elementsEqual(first), tokens[start + 2 * unit..<start + 3 * unit].elementsEqual(first) {
                    return true
                }
            }
        }
        return false
    }

    /// Issue 26: a question with several answers in the corpus gets one of them, not the fallback.
    @Test func tellsAJoke() throws {
        let asked = try Self.askCorpus("datasets/chatterbot-english/humor.yml")
        let joke = try #require(asked.first { $0.question.lowercased().hasPrefix("tell me a joke") })
        #expect(joke.answers.count > 1)
        #expect(joke.answers.contains(joke.reply["reply"] as? String ?? ""), "\(joke.reply["reply"] ?? "")")
    }

    /// `chat` draws among the answers a known question has in the corpus (`ask` stays greedy);
    /// a question with one answer always gets it.
    @Test func chatVariesAmongTheAnswersAQuestionHas() throws {
        let asked = try Self.askCorpus("datasets/chatterbot-english/humor.yml")
        let jokes = try #require(asked.first { $0.question.lowercased().hasPrefix("tell me a joke") }).answers
        let result = try LSTMChatBinary.run(["chat", "--seed", "3"], stdin: String(repeating: "tell me a joke\ncan you write bubble sort?\n", count: 6),
                                            in: Self.root)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map { TSVField.unescaped(String($0)) }
        try #require(lines.count == 12)
        let told = stride(from: 0, to: 12, by: 2).map { lines[$0] }, sorts = Set(stride(from: 1, to: 12, by: 2).map { lines[$0] })
        #expect(told.allSatisfy(jokes.contains), "\(told)")
        #expect(Set(told).count >= 2, "\(told)")
        #expect(sorts.count == 1 && sorts.first?.hasPrefix("Here's bubble sort in Python:") == true)
    }

    @Test func stutterIsAWordOrAPairThreeTimesInARow() {
        #expect(Self.stutters(["j", ".", "r", ".", "r", ".", "r", "."]))
        #expect(Self.stutters(["very", "very", "very"]))
        #expect(!Self.stutters(["j", ".", "r", ".", "r", ".", "tolkien"]))
        #expect(!Self.stutters(["`", "`", "`", "\n"]))
    }
}

/// A model trained before answers were kept as written (the bundled model of commit fbbb828,
/// kept in Tests/Shared/legacy-default.safetensors) loads and answers exactly as it did: its
/// answers lowercased and spaced by rule, its `eval` figures those of that day.
@Suite struct LegacyModelTests {
    static let model = "Tests/Shared/legacy-default.safetensors"

    @Test func answersAsBefore() throws {
        // Its answers then (and PyTorch's, lstmchat_torch.ask of that commit, the same).
        for (question, answer) in [
            ("can you write bubble sort?", "here's bubble sort in python: ` ` ` def bubble_sort (arr): n = len (arr) for i in range (n): "
                + "for j in range (0, n-i-1): if arr [j] > arr [j + 1]: arr [j], arr [j + 1] = arr [j + 1], arr [j] return arr ` ` `"),
            ("who wrote the hobbit", "the hobbit was written by j. r. r. tolkein."),
        ] {
            let result = try LSTMChatBinary.run(["ask", "--checkpoint", Self.model, "--min-confidence", "0", question], in: BundledModelTests.root)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout == answer + "\n")
        }
    }

    /// At the answer length of then (200 tokens; the default is 400 since answers are kept as
    /// written, which lets the answers that loop run on: token F1 0.993).
    @Test func evaluatesAsBefore() throws {
        let result = try LSTMChatBinary.run(["eval", "--checkpoint", Self.model, "--max-length", "200", "datasets/chatterbot-english"],
                                            in: BundledModelTests.root)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasSuffix("loss 0.0836  perplexity 1.09  exact match 98.1% of 1010 questions  token F1 0.994  (2306 pairs)\n"))
    }
}
