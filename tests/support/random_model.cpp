#include "random_model.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>

namespace smartbot::testsupport {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

uint16_t toBf16(float f)
{
    uint32_t u;
    std::memcpy(&u, &f, 4);
    u += 0x7fff + ((u >> 16) & 1); // round to nearest even
    return uint16_t(u >> 16);
}

float fromBf16(uint16_t h)
{
    const uint32_t u = uint32_t(h) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

uint16_t toF16(float f)
{
    // Normal range only (random weights are small but not tiny); round to nearest even.
    uint32_t u;
    std::memcpy(&u, &f, 4);
    const uint32_t sign = (u >> 16) & 0x8000;
    int32_t exp = int32_t((u >> 23) & 0xff) - 127 + 15;
    uint32_t mant = u & 0x7fffff;
    if (exp <= 0)
        return uint16_t(sign); // flush tiny values to zero
    if (exp >= 31)
        return uint16_t(sign | 0x7c00);
    uint32_t h = sign | (uint32_t(exp) << 10) | (mant >> 13);
    const uint32_t rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1)))
        ++h;
    return uint16_t(h);
}

float fromF16(uint16_t h)
{
    const uint32_t sign = uint32_t(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    uint32_t u = sign;
    if (exp != 0)
        u |= ((exp - 15 + 127) << 23) | (mant << 13);
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

struct Tensor {
    std::string name;
    std::vector<int64_t> shape;
    std::vector<uint8_t> bytes;
};

void writeFile(const fs::path &path, const std::string &data)
{
    std::ofstream out(path, std::ios::binary);
    out.write(data.data(), std::streamsize(data.size()));
    if (!out)
        throw std::runtime_error("cannot write " + path.string());
}

void writeSafetensors(const fs::path &path, const std::vector<const Tensor *> &tensors, const std::string &dtype)
{
    json header = json::object();
    uint64_t offset = 0;
    for (const Tensor *t : tensors) {
        header[t->name] = {{"dtype", dtype}, {"shape", t->shape}, {"data_offsets", {offset, offset + t->bytes.size()}}};
        offset += t->bytes.size();
    }
    header["__metadata__"] = {{"format", "pt"}};
    std::string h = header.dump();
    while ((h.size() + 8) % 8 != 0)
        h += ' '; // keep tensor data 8-byte aligned, as writers do
    std::ofstream out(path, std::ios::binary);
    const uint64_t len = h.size();
    for (int i = 0; i < 8; ++i)
        out.put(char((len >> (8 * i)) & 0xff));
    out.write(h.data(), std::streamsize(h.size()));
    for (const Tensor *t : tensors)
        out.write(reinterpret_cast<const char *>(t->bytes.data()), std::streamsize(t->bytes.size()));
    if (!out)
        throw std::runtime_error("cannot write " + path.string());
}

} // namespace

RandomModel writeRandomModel(const std::string &dirName, const RandomModelSpec &s)
{
    const fs::path dir(dirName);
    fs::create_directories(dir);
    const int hd = s.headDim > 0 ? s.headDim : s.hidden / s.heads;
    RandomModel m;
    m.config = {{"architectures", {s.architecture}},
                {"model_type", "llama"},
                {"hidden_size", s.hidden},
                {"intermediate_size", s.intermediate},
                {"num_hidden_layers", s.layers},
                {"num_attention_heads", s.heads},
                {"num_key_value_heads", s.kvHeads},
                {"head_dim", hd},
                {"vocab_size", s.vocab},
                {"max_position_embeddings", s.maxPositions},
                {"rms_norm_eps", 1e-6},
                {"rope_theta", s.ropeTheta},
                {"rope_scaling", s.ropeScaling},
                {"hidden_act", "silu"},
                {"tie_word_embeddings", s.tie},
                {"attention_bias", s.qkvBias && s.architecture != "Qwen2ForCausalLM"},
                {"bos_token_id", 1},
                {"eos_token_id", 2},
                {"torch_dtype", s.dtype == "F32"   ? "float32"
                                : s.dtype == "F16" ? "float16"
                                                   : "bfloat16"}};
    m.config.merge_patch(s.extraConfig);
    writeFile(dir / "config.json", m.config.dump(2));

    std::mt19937_64 rng(s.seed);
    std::vector<Tensor> tensors;
    auto add = [&](const std::string &name, std::vector<int64_t> shape, double scale, double offset = 0.0) {
        int64_t n = 1;
        for (int64_t d : shape)
            n *= d;
        std::uniform_real_distribution<float> uni(float(-scale), float(scale));
        Tensor t{name, shape, {}};
        t.bytes.resize(size_t(n) * (s.dtype == "F32" ? 4 : 2));
        std::vector<double> values;
        if (s.keepValues)
            values.resize(size_t(n));
        for (int64_t i = 0; i < n; ++i) {
            float f = float(offset) + uni(rng);
            if (s.dtype == "F32") {
                std::memcpy(&t.bytes[size_t(i) * 4], &f, 4);
            } else {
                const uint16_t h = s.dtype == "F16" ? toF16(f) : toBf16(f);
                f = s.dtype == "F16" ? fromF16(h) : fromBf16(h);
                std::memcpy(&t.bytes[size_t(i) * 2], &h, 2);
            }
            if (s.keepValues)
                values[size_t(i)] = double(f);
        }
        if (s.keepValues)
            m.tensors[name] = std::move(values);
        tensors.push_back(std::move(t));
    };
    const int64_t D = s.hidden, I = s.intermediate, q = int64_t(s.heads) * hd, kv = int64_t(s.kvHeads) * hd;
    add("model.embed_tokens.weight", {s.vocab, D}, 1.0);
    for (int l = 0; l < s.layers; ++l) {
        const std::string p = "model.layers." + std::to_string(l) + ".";
        add(p + "input_layernorm.weight", {D}, 0.1, 1.0);
        add(p + "post_attention_layernorm.weight", {D}, 0.1, 1.0);
        add(p + "self_attn.q_proj.weight", {q, D}, 1.0 / std::sqrt(double(D)));
        add(p + "self_attn.k_proj.weight", {kv, D}, 1.0 / std::sqrt(double(D)));
        add(p + "self_attn.v_proj.weight", {kv, D}, 1.0 / std::sqrt(double(D)));
        if (s.qkvBias || s.architecture == "Qwen2ForCausalLM") {
            add(p + "self_attn.q_proj.bias", {q}, 0.2);
            add(p + "self_attn.k_proj.bias", {kv}, 0.2);
            add(p + "self_attn.v_proj.bias", {kv}, 0.2);
        }
        add(p + "self_attn.o_proj.weight", {D, q}, 1.0 / std::sqrt(double(q)));
        add(p + "mlp.gate_proj.weight", {I, D}, 1.0 / std::sqrt(double(D)));
        add(p + "mlp.up_proj.weight", {I, D}, 1.0 / std::sqrt(double(D)));
        add(p + "mlp.down_proj.weight", {D, I}, 1.0 / std::sqrt(double(I)));
    }
    add("model.norm.weight", {D}, 0.1, 1.0);
    if (!s.tie)
        add("lm_head.weight", {s.vocab, D}, 1.0 / std::sqrt(double(D)));

    if (s.shards <= 1) {
        std::vector<const Tensor *> all;
        for (const auto &t : tensors)
            all.push_back(&t);
        writeSafetensors(dir / "model.safetensors", all, s.dtype);
    } else {
        json map = json::object();
        const size_t per = (tensors.size() + size_t(s.shards) - 1) / size_t(s.shards);
        for (int k = 0; k < s.shards; ++k) {
            char name[64];
            std::snprintf(name, sizeof name, "model-%05d-of-%05d.safetensors", k + 1, s.shards);
            std::vector<const Tensor *> part;
            for (size_t i = size_t(k) * per; i < std::min(tensors.size(), size_t(k + 1) * per); ++i) {
                part.push_back(&tensors[i]);
                map[tensors[i].name] = name;
            }
            writeSafetensors(dir / name, part, s.dtype);
        }
        writeFile(dir / "model.safetensors.index.json",
                  json{{"metadata", json::object()}, {"weight_map", map}}.dump(2));
    }
    if (!s.tokenizerDir.empty())
        for (const char *f : {"tokenizer.json", "tokenizer_config.json"})
            if (fs::exists(fs::path(s.tokenizerDir) / f))
                fs::copy_file(fs::path(s.tokenizerDir) / f, dir / f, fs::copy_options::overwrite_existing);
    return m;
}

std::vector<std::vector<double>> referenceLogits(const RandomModel &m, const std::vector<int32_t> &ids)
{
    const json &c = m.config;
    const int64_t D = c["hidden_size"], I = c["intermediate_size"], L = c["num_hidden_layers"];
    const int64_t H = c["num_attention_heads"], KV = c["num_key_value_heads"], hd = c["head_dim"], V = c["vocab_size"];
    const double eps = c["rms_norm_eps"], theta = c["rope_theta"];
    const bool tie = c["tie_word_embeddings"];
    const bool bias = c["attention_bias"].get<bool>() || c["architectures"][0] == "Qwen2ForCausalLM";
    auto W = [&](const std::string &n) -> const std::vector<double> & { return m.tensors.at(n); };
    const int64_t T = int64_t(ids.size()), half = hd / 2;

    // Inverse frequencies, with rope_scaling as Hugging Face's modeling_rope_utils defines it.
    std::vector<double> inv(static_cast<size_t>(half));
    for (int64_t i = 0; i < half; ++i) {
        double f = std::pow(theta, -double(2 * i) / double(hd));
        const json &rs = c["rope_scaling"];
        if (rs.is_object()) {
            const std::string type = rs.value("rope_type", rs.value("type", std::string()));
            const double factor = rs.value("factor", 1.0);
            if (type == "linear")
                f /= factor;
            if (type == "llama3") {
                const double lo = rs["low_freq_factor"], hi = rs["high_freq_factor"];
                const double old = rs["original_max_position_embeddings"];
                const double wavelen = 2 * M_PI / f;
                if (wavelen > old / lo)
                    f = f / factor;
                else if (wavelen >= old / hi) {
                    const double smooth = (old / wavelen - lo) / (hi - lo);
                    f = (1 - smooth) * f / factor + smooth * f;
                }
            }
        }
        inv[size_t(i)] = f;
    }
    auto rms = [&](const std::vector<double> &x, const std::vector<double> &w) {
        double ss = 0;
        for (double v : x)
            ss += v * v;
        const double r = 1.0 / std::sqrt(ss / double(x.size()) + eps);
        std::vector<double> out(x.size());
        for (size_t i = 0; i < x.size(); ++i)
            out[i] = x[i] * r * w[i];
        return out;
    };
    auto mv = [](const std::vector<double> &w, const std::vector<double> &x, int64_t rows) {
        const int64_t cols = int64_t(x.size());
        std::vector<double> y(static_cast<size_t>(rows), 0.0);
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t k = 0; k < cols; ++k)
                y[size_t(r)] += w[size_t(r * cols + k)] * x[size_t(k)];
        return y;
    };
    auto rope = [&](double *v, int64_t pos) {
        for (int64_t i = 0; i < half; ++i) {
            const double a = v[i], b = v[i + half], co = std::cos(double(pos) * inv[size_t(i)]),
                         si = std::sin(double(pos) * inv[size_t(i)]);
            v[i] = a * co - b * si;
            v[i + half] = b * co + a * si;
        }
    };

    std::vector<std::vector<double>> x(static_cast<size_t>(T));
    for (int64_t t = 0; t < T; ++t)
        x[size_t(t)].assign(W("model.embed_tokens.weight").begin() + ids[size_t(t)] * D,
                            W("model.embed_tokens.weight").begin() + (ids[size_t(t)] + 1) * D);
    for (int64_t l = 0; l < L; ++l) {
        const std::string p = "model.layers." + std::to_string(l) + ".";
        std::vector<std::vector<double>> q(static_cast<size_t>(T)), k(static_cast<size_t>(T)),
            v(static_cast<size_t>(T));
        for (int64_t t = 0; t < T; ++t) {
            const auto h = rms(x[size_t(t)], W(p + "input_layernorm.weight"));
            q[size_t(t)] = mv(W(p + "self_attn.q_proj.weight"), h, H * hd);
            k[size_t(t)] = mv(W(p + "self_attn.k_proj.weight"), h, KV * hd);
            v[size_t(t)] = mv(W(p + "self_attn.v_proj.weight"), h, KV * hd);
            if (bias) {
                for (int64_t i = 0; i < H * hd; ++i)
                    q[size_t(t)][size_t(i)] += W(p + "self_attn.q_proj.bias")[size_t(i)];
                for (int64_t i = 0; i < KV * hd; ++i) {
                    k[size_t(t)][size_t(i)] += W(p + "self_attn.k_proj.bias")[size_t(i)];
                    v[size_t(t)][size_t(i)] += W(p + "self_attn.v_proj.bias")[size_t(i)];
                }
            }
            for (int64_t h2 = 0; h2 < H; ++h2)
                rope(&q[size_t(t)][size_t(h2 * hd)], t);
            for (int64_t h2 = 0; h2 < KV; ++h2)
                rope(&k[size_t(t)][size_t(h2 * hd)], t);
        }
        for (int64_t t = 0; t < T; ++t) {
            std::vector<double> att(static_cast<size_t>(H * hd), 0.0);
            for (int64_t h2 = 0; h2 < H; ++h2) {
                const int64_t g = h2 / (H / KV);
                std::vector<double> sc(static_cast<size_t>(t + 1));
                double mx = -1e300;
                for (int64_t s = 0; s <= t; ++s) {
                    double d = 0;
                    for (int64_t e = 0; e < hd; ++e)
                        d += q[size_t(t)][size_t(h2 * hd + e)] * k[size_t(s)][size_t(g * hd + e)];
                    sc[size_t(s)] = d / std::sqrt(double(hd));
                    mx = std::max(mx, sc[size_t(s)]);
                }
                double sum = 0;
                for (auto &z : sc)
                    sum += (z = std::exp(z - mx));
                for (int64_t s = 0; s <= t; ++s)
                    for (int64_t e = 0; e < hd; ++e)
                        att[size_t(h2 * hd + e)] += sc[size_t(s)] / sum * v[size_t(s)][size_t(g * hd + e)];
            }
            const auto o = mv(W(p + "self_attn.o_proj.weight"), att, D);
            for (int64_t i = 0; i < D; ++i)
                x[size_t(t)][size_t(i)] += o[size_t(i)];
            const auto h2 = rms(x[size_t(t)], W(p + "post_attention_layernorm.weight"));
            const auto g = mv(W(p + "mlp.gate_proj.weight"), h2, I), u = mv(W(p + "mlp.up_proj.weight"), h2, I);
            std::vector<double> a(static_cast<size_t>(I));
            for (int64_t i = 0; i < I; ++i)
                a[size_t(i)] = g[size_t(i)] / (1 + std::exp(-g[size_t(i)])) * u[size_t(i)];
            const auto dn = mv(W(p + "mlp.down_proj.weight"), a, D);
            for (int64_t i = 0; i < D; ++i)
                x[size_t(t)][size_t(i)] += dn[size_t(i)];
        }
    }
    std::vector<std::vector<double>> logits;
    for (int64_t t = 0; t < T; ++t)
        logits.push_back(
            mv(W(tie ? "model.embed_tokens.weight" : "lm_head.weight"), rms(x[size_t(t)], W("model.norm.weight")), V));
    return logits;
}

} // namespace smartbot::testsupport
