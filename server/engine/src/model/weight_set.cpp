#include "model/weight_set.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

namespace smartbot::engine {

namespace fs = std::filesystem;

Result<WeightSet> WeightSet::open(const std::string &modelDir)
{
    const fs::path dir(modelDir);
    WeightSet set;
    std::vector<std::string> files;
    std::map<std::string, std::string> promised; // tensor -> shard, from the index
    const fs::path index = dir / "model.safetensors.index.json";
    if (fs::exists(dir / "model.safetensors")) {
        files.push_back("model.safetensors");
    } else if (fs::exists(index)) {
        std::ifstream in(index);
        std::stringstream ss;
        ss << in.rdbuf();
        try {
            const auto j = nlohmann::json::parse(ss.str());
            const auto &map = j.at("weight_map");
            if (!map.is_object() || map.empty())
                return makeError("model.safetensors.index.json: 'weight_map' must be a non-empty object");
            std::set<std::string> unique;
            for (auto it = map.begin(); it != map.end(); ++it) {
                const std::string shard = it.value().get<std::string>();
                if (shard.find('/') != std::string::npos || shard.find("..") != std::string::npos)
                    return makeError("model.safetensors.index.json: shard name '" + shard +
                                     "' must be a plain file name");
                promised[it.key()] = shard;
                if (unique.insert(shard).second)
                    files.push_back(shard);
            }
        } catch (const nlohmann::json::exception &e) {
            return makeError(std::string("model.safetensors.index.json: ") + e.what());
        }
    } else {
        return makeError("model.safetensors (or model.safetensors.index.json with shards) is missing");
    }

    for (const auto &name : files) {
        auto f = SafetensorsFile::open((dir / name).string());
        if (!f)
            return f.failure();
        set.shards_.push_back(f.value());
        for (const auto &[tensor, view] : f.value()->tensors()) {
            if (!set.index_.emplace(tensor, &view).second)
                return makeError("tensor '" + tensor + "' appears in more than one shard (" + name + ")");
            auto p = promised.find(tensor);
            if (!promised.empty() && p != promised.end() && p->second != name)
                return makeError("tensor '" + tensor + "' is in " + name + " but the index says " + p->second);
        }
    }
    for (const auto &[tensor, shard] : promised)
        if (!set.index_.count(tensor))
            return makeError("tensor '" + tensor + "' is listed in the index but missing from " + shard);
    return set;
}

WeightSet WeightSet::fromViews(std::vector<TensorView> views, std::vector<std::shared_ptr<const void>> keepAlive)
{
    WeightSet set;
    set.keepAlive_ = std::move(keepAlive);
    for (TensorView &v : views) {
        std::string name = v.name;
        auto [it, inserted] = set.views_.emplace(name, std::move(v));
        if (inserted)
            set.index_.emplace(name, &it->second);
    }
    return set;
}

const TensorView *WeightSet::find(const std::string &name) const
{
    auto it = index_.find(name);
    return it == index_.end() ? nullptr : it->second;
}

int64_t WeightSet::parameterCount() const
{
    int64_t n = 0;
    for (const auto &[name, view] : index_)
        n += view->numel();
    return n;
}

std::map<DType, int64_t> WeightSet::parametersByDtype() const
{
    std::map<DType, int64_t> n;
    for (const auto &[name, view] : index_)
        n[view->dtype] += view->numel();
    return n;
}

} // namespace smartbot::engine
