// InferenceWorker (service/inference_worker.h) on the real stories260K model: while a sequence runs, queued prompts
// join the batch within kPrefillTokensPerStep prompt tokens per step (at least one a step, however long), in order;
// the running stream's tokens count the steps. The jobs are queued together (submitAll) from the running stream's
// first piece, so the worker sees them all at once whatever the timing.
#include <QtTest>

#include <map>
#include <random>

#include "service/inference_worker.h"

using namespace smartbot;
using service::InferenceWorker;

namespace {
const QString kModel = QStringLiteral(SMARTBOT_SHARED_DIR "/models/stories260K");

// Neither BOS nor EOS (this model's 1 and 2: either ends a story) may end a generation before its token budget.
engine::GenerationParams untilLength(int maxTokens)
{
    engine::GenerationParams p;
    p.maxTokens = maxTokens;
    p.logitBias = {{1, -100.0f}, {2, -100.0f}};
    return p;
}
} // namespace

class TestInferenceWorker : public QObject {
    Q_OBJECT
    std::unique_ptr<InferenceWorker> worker_;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFileInfo::exists(kModel + "/config.json"), qPrintable("missing shared model: " + kModel));
        worker_ = std::make_unique<InferenceWorker>(256, nullptr, 64);
        engine::LoadOptions options;
        options.threads = 1;
        options.prefixCache = false; // every prompt prefilled whole
        worker_->loadModel(kModel, options);
        QTRY_COMPARE_WITH_TIMEOUT(worker_->modelState(), InferenceWorker::ModelState::Ready, 30000);
        QVERIFY(InferenceWorker::kPrefillTokensPerStep == 256); // the rows below are sized for it
    }

    void admissionBudget_data()
    {
        QTest::addColumn<int>("promptTokens");
        QTest::addColumn<int>("jobs");
        QTest::addColumn<QList<int>>("perStep"); // jobs joining at each step, in order
        // Joining stops once the step's prompts reach 256 tokens: 0, 100, 200 go in, the fourth waits.
        QTest::newRow("100-token prompts") << 100 << 8 << QList<int>{3, 3, 2};
        QTest::newRow("40-token prompts") << 40 << 16 << QList<int>{7, 7, 2};
        // A prompt over the budget on its own still joins, one a step.
        QTest::newRow("300-token prompts") << 300 << 3 << QList<int>{1, 1, 1};
    }
    void admissionBudget()
    {
        QFETCH(int, promptTokens);
        QFETCH(int, jobs);
        QFETCH(QList<int>, perStep);

        std::mt19937 rng{uint32_t(promptTokens * 131 + jobs)};
        std::uniform_int_distribution<int32_t> token(3, 511);
        int streamTokens = 0;        // tokens the running stream has received: the steps so far
        std::map<int, int> joinedAt; // stream tokens seen when a job's reply came -> jobs
        int replies = 0;
        bool queued = false;

        // The running stream: long enough to outlast every admission (each step takes well under a millisecond).
        InferenceWorker::Request stream;
        stream.promptIds = {5, 6, 7, 8};
        stream.params = untilLength(400);
        stream.params.logprobs = 0; // each piece carries its tokens' logprobs: exact token counts
        stream.onPiece = [&](const InferenceWorker::Piece &piece) {
            streamTokens += int(piece.logprobs.size());
            if (queued)
                return;
            queued = true;
            std::vector<InferenceWorker::Request> requests;
            std::vector<std::function<void(const InferenceWorker::Reply &)>> done;
            for (int j = 0; j < jobs; ++j) {
                InferenceWorker::Request r;
                for (int i = 0; i < promptTokens; ++i)
                    r.promptIds.push_back(token(rng));
                r.params = untilLength(1);
                requests.push_back(std::move(r));
                done.push_back([&](const InferenceWorker::Reply &reply) {
                    QVERIFY2(reply.ok, qPrintable(reply.error));
                    ++joinedAt[streamTokens];
                    ++replies;
                });
            }
            QVERIFY(worker_->submitAll(std::move(requests), this, std::move(done), {}));
        };
        bool streamDone = false;
        QVERIFY(worker_->submit(std::move(stream), this, [&](const InferenceWorker::Reply &reply) {
            QVERIFY2(reply.ok, qPrintable(reply.error));
            QCOMPARE(int(reply.result.ids.size()), 400);
            streamDone = true;
        }));
        QTRY_VERIFY_WITH_TIMEOUT(streamDone && replies == jobs, 30000);

        // One group per step, the steps consecutive: each job's token comes from the step its prompt joined.
        QList<int> got;
        int previous = -1;
        for (const auto &[at, n] : joinedAt) {
            if (previous >= 0)
                QCOMPARE(at, previous + 1);
            previous = at;
            got << n;
        }
        QCOMPARE(got, perStep);
    }
};

QTEST_GUILESS_MAIN(TestInferenceWorker)
#include "test_inference_worker.moc"
