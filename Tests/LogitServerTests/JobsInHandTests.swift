import LogitRedis
import LogitWorker
import Testing

/// The worker's side of reconciliation, without Redis: which ids it may give back.
@Suite struct JobsInHandTests {
    let a = ModelID.generate()
    let b = ModelID.generate()

    @Test func anIdGoesBackOnlyAfterTwoLooksFoundItUnworked() {
        let hand = JobsInHand()
        #expect(hand.stale().isEmpty, "nothing seen yet")
        hand.looked(at: [a])
        #expect(hand.stale() == [a])
    }

    @Test func anIdTakenBetweenTwoLooksIsNotGivenBack() {
        let hand = JobsInHand()
        hand.looked(at: [a])  // BLMOVE moved it; its reply is still on the way
        hand.begin(a)  // the reply arrived
        #expect(hand.stale().isEmpty)
        hand.looked(at: [a])
        #expect(hand.stale().isEmpty, "worked on at the second look")
    }

    @Test func twoLoopsHoldingCopiesOfOneIdKeepItUntilBothAreDone() {
        let hand = JobsInHand()
        hand.begin(a)
        hand.begin(a)  // a second copy, taken by another loop (it will drop it at claim)
        hand.end(a)
        hand.looked(at: [a, b])
        #expect(hand.stale() == [b], "the first loop still trains a")
        hand.end(a)
        #expect(hand.stale() == [b], "a was worked on at the last look: it needs a second one")
        hand.looked(at: [a, b])
        #expect(Set(hand.stale()) == [a, b])
    }
}
