import BitNetRuntime
import Foundation
import Testing

/// The sampler on hand-made logits: greedy, seeded determinism, each filter, penalties and the drawn distribution.
@Suite struct SamplerTests {
    static func sample(_ logits: [Float], _ configure: (inout SamplingParameters) -> Void, draws: Int = 1,
                       history: [Int32] = []) -> [Int32] {
        var p = SamplingParameters()
        configure(&p)
        var sampler = Sampler(p)
        return logits.withUnsafeBufferPointer { l in (0..<draws).map { _ in sampler.sample(l, history: history) } }
    }

    static let logits: [Float] = [0.1, 2.0, -1.0, 1.5, 2.0, 0.7, -3.0, 1.9]

    @Test func greedyIsArgmaxFirstOnTies() {
        #expect(Self.sample(Self.logits, { $0.temperature = 0 }) == [1])
    }

    @Test func sameSeedSameTokensOtherSeedOtherTokens() {
        let a = Self.sample(Self.logits, { $0.temperature = 1; $0.topK = 0; $0.topP = 1; $0.minP = 0; $0.seed = 7 }, draws: 64)
        let b = Self.sample(Self.logits, { $0.temperature = 1; $0.topK = 0; $0.topP = 1; $0.minP = 0; $0.seed = 7 }, draws: 64)
        let c = Self.sample(Self.logits, { $0.temperature = 1; $0.topK = 0; $0.topP = 1; $0.minP = 0; $0.seed = 8 }, draws: 64)
        #expect(a == b)
        #expect(a != c)
    }

    @Test func topKKeepsOnlyTheKBest() {
        let draws = Self.sample(Self.logits, { $0.temperature = 5; $0.topK = 3; $0.topP = 1; $0.minP = 0 }, draws: 500)
        #expect(Set(draws).isSubset(of: [1, 4, 7]))  // 2.0, 2.0, 1.9
        #expect(Set(draws) == [1, 4, 7])
        let one = Self.sample(Self.logits, { $0.temperature = 5; $0.topK = 1 }, draws: 50)
        #expect(Set(one) == [1])  // ties rank the lower id first
    }

    @Test func topPAndMinPCutTheTail() {
        let p = Self.sample(Self.logits, { $0.temperature = 1; $0.topK = 0; $0.topP = 0.01; $0.minP = 0 }, draws: 50)
        #expect(Set(p) == [1])
        // min-p 0.5: keep logits ≥ 2.0 + ln 0.5 ≈ 1.307: ids 1, 4, 7, 3.
        let m = Self.sample(Self.logits, { $0.temperature = 1; $0.topK = 0; $0.topP = 1; $0.minP = 0.5 }, draws: 2000)
        #expect(Set(m) == [1, 3, 4, 7])
    }

    @Test func repetitionPenaltyMovesGreedyOffRepeatedTokens() {
        let plain = Self.sample(Self.logits, { $0.temperature = 0 })
        let penalised = Self.sample(Self.logits, { $0.temperature = 0; $0.repeatPenalty = 2 }, history: [1, 4])
        #expect(plain == [1])
        #expect(penalised == [7])  // 1.9 now beats 2.0 / 2
    }

    @Test func drawsFollowTheSoftmax() {
        let logits: [Float] = [log(0.5), log(0.3), log(0.2)]
        let n = 20_000
        let draws = Self.sample(logits, { $0.temperature = 1; $0.topK = 0; $0.topP = 1; $0.minP = 0; $0.seed = 3 }, draws: n)
        for (id, expected) in [(Int32(0), 0.5), (1, 0.3), (2, 0.2)] {
            let share = Double(draws.filter { $0 == id }.count) / Double(n)
            #expect(abs(share - expected) < 0.02, "token \(id): \(share) vs \(expected)")
        }
    }
}
