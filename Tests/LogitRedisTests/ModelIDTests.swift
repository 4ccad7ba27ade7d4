import LogitRedis
import Testing

@Suite struct ModelIDTests {
    @Test func generatedIdsAreValidAndUnique() {
        let ids = (0..<1000).map { _ in ModelID.generate() }
        #expect(Set(ids).count == 1000)
        for id in ids { #expect(ModelID(validating: id.rawValue) == id) }
    }

    @Test(arguments: [
        "", "model_20181025-132027", "../../etc/passwd", "lr:jobs", "C5160BA2-FF76-4F3C-9F0E-06C6A0903C94",
        "c5160ba2-ff76-4f3c-9f0e-06c6a0903c9", "c5160ba2-ff76-4f3c-9f0e-06c6a0903c94x", "c5160ba2_ff76-4f3c-9f0e-06c6a0903c94",
        "c5160ba2-ff76-4f3c-9f0e-06c6a0903c9g", "c5160ba2-ff76-4f3c-9f0e-06c6a0903c9*",
    ])
    func rejectsAnythingButALowercaseUUID(text: String) {
        #expect(ModelID(validating: text) == nil)
    }

    @Test func keysAreBuiltUnderThePrefix() {
        let id = ModelID(validating: "c5160ba2-ff76-4f3c-9f0e-06c6a0903c94")!
        let keys = KeySchema(prefix: "t:")
        #expect(keys.model(id) == "t:model:c5160ba2-ff76-4f3c-9f0e-06c6a0903c94")
        #expect(keys.trainingData(id) == "t:data:c5160ba2-ff76-4f3c-9f0e-06c6a0903c94")
        #expect(keys.pendingJobs == "t:jobs")
        #expect(keys.processing(worker: "w1") == "t:processing:w1")
        #expect(keys.lease(worker: "w1") == "t:worker:w1")
    }
}
