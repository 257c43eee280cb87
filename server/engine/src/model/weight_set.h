// WeightSet: the tensors of a model folder: model.safetensors, or the shards named by
// model.safetensors.index.json. Every shard is memory-mapped and validated; a name found in two shards, or a
// name the index promises but its shard lacks, is an error.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/safetensors.h"

namespace smartbot::engine {

class WeightSet {
public:
    static Result<WeightSet> open(const std::string &modelDir);
    // Tensors that live elsewhere (a GGUF file's, mapped or decoded): views whose memory `keepAlive` owns.
    static WeightSet fromViews(std::vector<TensorView> views, std::vector<std::shared_ptr<const void>> keepAlive);
    const TensorView *find(const std::string &name) const;
    int64_t parameterCount() const;
    std::map<DType, int64_t> parametersByDtype() const; // as stored on disk
    size_t shardCount() const { return shards_.size(); }

private:
    std::vector<std::shared_ptr<SafetensorsFile>> shards_; // keep the mappings alive for zero-copy tensors
    std::vector<std::shared_ptr<const void>> keepAlive_;
    std::map<std::string, TensorView> views_; // fromViews(): the views index_ points into (map nodes never move)
    std::map<std::string, const TensorView *> index_;
};

} // namespace smartbot::engine
