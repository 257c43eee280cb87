// Continuous batching: begin() admits a sequence, step() advances every active sequence by one token in a single
// batched forward pass. A prompt the fused CPU pass takes (LlamaModel::foldsPrompt) runs in the next step's pass with
// the others' tokens, which gives its first token; other prompts are prefilled in begin(), first token included. Greedy
// results are identical alone or batched: each row of a batched matrix product is computed exactly as the
// single-sequence one.
#include <chrono>
#include <limits>

#include <torch/torch.h>

#include "engine/impl.h"
#include "sampling/logprobs.h"

namespace smartbot::engine {

using Clock = std::chrono::steady_clock;
constexpr int64_t kMinPrefixReuse = 8; // positions

int64_t Engine::Impl::cacheCapacity(size_t promptTokens, const GenerationParams &params) const
{
    // The prompt plus every generated token fed back: all but the last one sampled, which is never fed.
    const int64_t prompt = int64_t(promptTokens);
    const int64_t maxNew = std::min<int64_t>(std::max(params.maxTokens, 0), context - prompt + 1);
    return std::min<int64_t>(context, std::max<int64_t>(1, prompt + std::max<int64_t>(maxNew - 1, 0)));
}

void Engine::Impl::trimPrefixCache(int64_t extra, const KvCache *keep)
{
    while (prefix && sequenceBytes + extra + prefix->bytes() > kvBudget && prefix->evictOne(keep)) {
    }
}

int64_t Engine::kvBytesNeeded(size_t promptTokens, const GenerationParams &params) const
{
    return d_->cacheCapacity(promptTokens, params) * d_->model->kvBytesPerToken();
}

Engine::Admission Engine::admission(size_t promptTokens, const GenerationParams &params) const
{
    const int64_t need = kvBytesNeeded(promptTokens, params);
    if (need > d_->kvBudget)
        return Admission::Never;
    return d_->sequenceBytes + need <= d_->kvBudget ? Admission::Now : Admission::Later;
}

KvMemoryStats Engine::kvMemory() const
{
    const Impl &d = *d_;
    KvMemoryStats s;
    s.budgetBytes = d.kvBudget;
    s.bytesPerToken = d.model->kvBytesPerToken();
    s.sequenceBytes = d.sequenceBytes;
    if (d.prefix) {
        s.prefixBytes = d.prefix->bytes();
        s.prefixTokens = d.prefix->tokens();
        s.prefixEntries = int64_t(d.prefix->entries());
    }
    s.prefixLookups = d.prefixLookups;
    s.prefixHits = d.prefixHits;
    s.reusedTokens = d.reusedTokens;
    return s;
}

void Engine::clearPrefixCache()
{
    if (d_->prefix)
        d_->prefix->clear();
}

Result<Engine::SequenceId> Engine::begin(const std::vector<int32_t> &promptIds, const GenerationParams &params,
                                         std::vector<StepEvent> &events)
{
    Impl &d = *d_;
    const int64_t ctx = d.context;
    if (promptIds.empty())
        return makeError("prompt is empty");
    if (int64_t(promptIds.size()) >= ctx)
        return makeError("prompt has " + std::to_string(promptIds.size()) + " tokens; the model's context is " +
                         std::to_string(ctx));
    for (int32_t id : promptIds)
        if (id < 0 || id >= d.config.vocabSize)
            return makeError("prompt token id " + std::to_string(id) + " is outside the vocabulary");
    if (params.maxTokens < 0)
        return makeError("max_tokens must not be negative");
    const int64_t capacity = d.cacheCapacity(promptIds.size(), params);
    const int64_t need = capacity * d.model->kvBytesPerToken();
    if (d.sequenceBytes + need > d.kvBudget)
        return makeError("the KV cache needs " + std::to_string(need) + " bytes for this request; " +
                         std::to_string(d.kvBudget - d.sequenceBytes) + " of " + std::to_string(d.kvBudget) +
                         " are free");

    torch::InferenceMode guard;
    const int64_t maxNew = std::min<int64_t>(params.maxTokens, ctx - int64_t(promptIds.size()) + 1);
    // The longest cached prefix, leaving at least one prompt token to run for the first logits. A few
    // positions (a shared BOS) save nothing worth a copy.
    PrefixCache::Match match;
    if (d.prefix && maxNew > 0 && !params.promptLogprobs) {
        ++d.prefixLookups;
        match = d.prefix->lookup(promptIds, kMinPrefixReuse, int64_t(promptIds.size()) - 1);
    }
    d.trimPrefixCache(need, match.kv); // room for the new cache, keeping the entry we copy from...
    if (match.kv && d.sequenceBytes + need + d.prefix->bytes() > d.kvBudget) {
        match = {}; // ...unless that entry alone would not fit beside it: then the budget wins over reuse
        d.trimPrefixCache(need);
    }
    std::shared_ptr<const grammar::Grammar> grammar;
    if (!params.grammar.empty()) {
        auto parsed = grammar::Grammar::parse(params.grammar);
        if (!parsed)
            return Error(parsed.error(), ErrorCode::InvalidArgument);
        grammar = std::make_shared<const grammar::Grammar>(std::move(parsed.value()));
        if (!d.tokenTable)
            d.tokenTable = std::make_shared<const grammar::TokenTable>(*d.tokenizer, d.config.vocabSize, d.stopIds);
    }
    const SequenceId id = d.nextId++;
    Sequence *started = nullptr;
    try {
        auto seq = std::make_unique<Sequence>(id, params, promptIds, *d.tokenizer, d.model->newCache(capacity));
        seq->maxNew = maxNew;
        seq->reservedBytes = need;
        seq->out.promptIds = promptIds;
        if (grammar)
            seq->constraint = std::make_unique<grammar::TokenConstraint>(grammar, d.tokenTable);
        started = seq.get();
        d.sequenceBytes += need;
        d.active.emplace(id, std::move(seq));
        Sequence &s = *started;
        if (s.maxNew == 0 && !params.promptLogprobs) {
            d.finish(s, FinishReason::Length, events);
            return id;
        }
        const auto t0 = Clock::now();
        if (match.length > 0) {
            s.cache.copyPrefixFrom(*match.kv, match.length);
            s.out.cachedPromptTokens = match.length;
            ++d.prefixHits;
            d.reusedTokens += uint64_t(match.length);
        }
        d.trimPrefixCache(0);
        if (params.promptLogprobs) {
            const std::vector<float> last = d.prefillScored(s, params);
            s.out.prefillSeconds = std::chrono::duration<double>(Clock::now() - t0).count();
            if (s.maxNew == 0)
                d.finish(s, FinishReason::Length, events);
            else
                d.advance(s, d.pick(s, last.data(), int64_t(last.size())), events);
            return id;
        }
        const int64_t start = s.cache.length;
        if (d.model->foldsPrompt(int64_t(promptIds.size()) - start)) {
            s.promptPending = true; // the next step runs it with the running sequences' tokens, in one pass
            return id;
        }
        torch::Tensor logits = d.model->forward(promptIds.data() + start, int64_t(promptIds.size()) - start, s.cache);
        s.out.prefillSeconds = std::chrono::duration<double>(Clock::now() - t0).count();
        d.advance(s, d.pick(s, logits.data_ptr<float>(), logits.size(-1)), events);
    } catch (const std::exception &e) { // out of (device) memory, mostly: the sequence never started
        if (started && !started->done)
            d.sequenceBytes -= need;
        d.active.erase(id);
        std::erase_if(events, [id](const StepEvent &ev) { return ev.id == id; });
        return makeError(std::string("could not start the sequence: ") + e.what());
    }
    return id;
}

void Engine::step(std::vector<StepEvent> &events)
{
    Impl &d = *d_;
    std::vector<Sequence *> batch;
    for (auto &[id, seq] : d.active) {
        if (seq->done)
            continue;
        if (seq->cancelled)
            d.finish(*seq, FinishReason::Stop, events);
        else
            batch.push_back(seq.get());
    }
    if (!batch.empty()) {
        torch::InferenceMode guard;
        std::vector<LlamaModel::Span> spans;
        for (Sequence *s : batch) {
            if (s->promptPending) {
                const int64_t start = s->cache.length;
                spans.push_back({s->out.promptIds.data() + start, int64_t(s->out.promptIds.size()) - start, &s->cache});
            } else {
                spans.push_back({&s->next, 1, &s->cache});
            }
        }
        const auto t0 = Clock::now();
        const torch::Tensor logits = d.model->stepSpans(spans); // [B, vocab]
        const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
        for (size_t i = 0; i < batch.size(); ++i) {
            if (batch[i]->promptPending) {
                batch[i]->promptPending = false;
                batch[i]->out.prefillSeconds = dt;
            } else {
                batch[i]->decodeSeconds += dt;
            }
            const float *row = logits.data_ptr<float>() + int64_t(i) * logits.size(1);
            d.advance(*batch[i], d.pick(*batch[i], row, logits.size(1)), events);
        }
    }
    for (auto it = d.active.begin(); it != d.active.end();)
        it = it->second->done ? d.active.erase(it) : std::next(it);
}

void Engine::cancel(SequenceId id)
{
    auto it = d_->active.find(id);
    if (it != d_->active.end())
        it->second->cancelled = true;
}

size_t Engine::activeSequences() const
{
    size_t n = 0;
    for (const auto &[id, seq] : d_->active)
        n += seq->done ? 0 : 1;
    return n;
}

// Takes the token sampled for seq: a stop id ends it; else the token is kept, its text released through the
// stop matcher, and the sequence ends on a stop string or at its token budget.
void Engine::Impl::advance(Sequence &seq, int32_t token, std::vector<StepEvent> &events)
{
    if (isStop(token))
        return finish(seq, FinishReason::Stop, events);
    seq.sampler.accept(token);
    seq.out.ids.push_back(token);
    if (seq.logprobs >= 0)
        seq.out.logprobs.push_back(std::move(seq.drawn));
    if (seq.constraint)
        seq.constraint->accept(token);
    auto [text, hit] = seq.stops.push(seq.stream.push(token));
    seq.out.text += text;
    if (!text.empty())
        events.push_back({seq.id, token, std::move(text), false, {}, unsentLogprobs(seq)});
    if (hit || (seq.constraint && seq.constraint->mustEnd()))
        return finish(seq, FinishReason::Stop, events);
    if (int64_t(seq.out.ids.size()) >= seq.maxNew)
        return finish(seq, FinishReason::Length, events);
    seq.next = token;
}

int32_t Engine::Impl::pick(Sequence &seq, const float *logits, int64_t vocab)
{
    const int32_t token = draw(seq, logits, vocab);
    if (seq.logprobs >= 0 && !isStop(token))
        seq.drawn = tokenLogprob(logits, vocab, token, seq.logprobs, *tokenizer);
    return token;
}

std::vector<TokenLogprob> Engine::Impl::unsentLogprobs(Sequence &seq)
{
    std::vector<TokenLogprob> out(seq.out.logprobs.begin() + std::ptrdiff_t(seq.logprobsSent), seq.out.logprobs.end());
    seq.logprobsSent = seq.out.logprobs.size();
    return out;
}

std::vector<float> Engine::Impl::prefillScored(Sequence &seq, const GenerationParams &params)
{
    // Slices of positions through the output layer: a 4k-token prompt over a 150k vocabulary would otherwise hold
    // 2.4 GB of logits at once.
    constexpr int64_t kSlice = 256;
    const std::vector<int32_t> &ids = seq.out.promptIds;
    const int64_t n = int64_t(ids.size());
    const torch::Tensor h = model->hidden(ids.data(), n, seq.cache);
    TokenLogprob first;
    first.id = ids.front();
    first.bytes = tokenizer->isSpecial(first.id) ? tokenBytes(*tokenizer, first.id)
                                                 : tokenizer->pieceBytes(first.id, /*atStart=*/true);
    first.special = tokenizer->isSpecial(first.id);
    first.logprob = std::numeric_limits<float>::quiet_NaN();
    seq.out.promptLogprobs.push_back(std::move(first));
    bool textBegun = !seq.out.promptLogprobs.front().special; // the first text token reads as at the start of text
    std::vector<float> last;
    for (int64_t at = 0; at < n; at += kSlice) {
        const int64_t m = std::min(kSlice, n - at);
        const torch::Tensor rows = model->head(h.narrow(0, at, m));
        const int64_t scored = std::min(m, n - 1 - at); // the last position scores nothing: it predicts the reply
        if (scored > 0)
            for (TokenLogprob &lp : tokenLogprobs(rows.narrow(0, 0, scored), ids.data() + at + 1,
                                                  std::max(params.logprobs, 0), *tokenizer)) {
                if (!textBegun && !lp.special) { // "Once", not " Once", where the decoder drops a leading space
                    lp.bytes = tokenizer->pieceBytes(lp.id, /*atStart=*/true);
                    textBegun = true;
                }
                seq.out.promptLogprobs.push_back(std::move(lp));
            }
        if (at + m == n) {
            const float *row = rows.data_ptr<float>() + (m - 1) * rows.size(1);
            last.assign(row, row + rows.size(1));
        }
    }
    return last;
}

// The sampler's draw stands when the grammar allows it; else the draw is repeated over the allowed tokens only
// (token_constraint.h says why that is the masked distribution). No allowed token at all (a grammar that cannot
// continue with this vocabulary) ends the text.
int32_t Engine::Impl::draw(Sequence &seq, const float *logits, int64_t vocab)
{
    const int32_t drawn = seq.sampler.sample(logits, vocab);
    if (!seq.constraint || seq.constraint->allows(drawn))
        return drawn;
    const std::vector<uint64_t> &bits = seq.constraint->mask();
    const auto allowed = [&bits](int64_t id) { return (bits[size_t(id) >> 6] >> (id & 63)) & 1; };
    seq.masked.assign(logits, logits + vocab);
    int64_t best = -1;
    for (int64_t id = 0; id < vocab; ++id) {
        if (!allowed(id))
            seq.masked[size_t(id)] = -std::numeric_limits<float>::infinity();
        else if (best < 0 || logits[id] > logits[best])
            best = id;
    }
    if (best < 0)
        return stopIds.empty() ? drawn : stopIds.front();
    const int32_t again = seq.sampler.sample(seq.masked.data(), vocab);
    return allowed(again) ? again : int32_t(best); // rounding at the tail of a distribution can land on a zero
}

void Engine::Impl::finish(Sequence &seq, FinishReason reason, std::vector<StepEvent> &events)
{
    std::string tail;
    if (!seq.stops.stopped()) {
        auto [text, hit] = seq.stops.push(seq.stream.flush());
        tail = text;
        if (hit)
            reason = FinishReason::Stop;
        else
            tail += seq.stops.flush();
    }
    seq.out.text += tail;
    seq.out.finish = reason;
    // The sequence's keys and values go to the prefix cache (no copy), for prompts that continue them.
    sequenceBytes -= seq.reservedBytes;
    if (prefix && seq.cache.length > 0) {
        std::vector<int32_t> held(seq.out.promptIds);
        held.insert(held.end(), seq.out.ids.begin(), seq.out.ids.end());
        held.resize(size_t(seq.cache.length));
        // Room for this cache and for the trimmed copy insert() may make of it, then only what fits stays.
        trimPrefixCache(seq.reservedBytes + seq.cache.length * model->kvBytesPerToken());
        prefix->insert(std::move(held), std::move(seq.cache));
        trimPrefixCache(0);
    }
    seq.cache = KvCache{};
    seq.out.decodeSeconds = seq.decodeSeconds;
    seq.done = true;
    std::vector<TokenLogprob> unsent = unsentLogprobs(seq);
    events.push_back({seq.id, -1, std::move(tail), true, std::move(seq.out), std::move(unsent)});
}

} // namespace smartbot::engine
