// ModelOptions: how a model is loaded and kept: [model]'s keys for every model, and [model.NAME] sections with the
// same keys for one model (e.g. a big model quantized to q4_k_m and kept loaded, a small one in float32 unloaded
// after a minute), each key not set there taken from [model]. A section may also say where its model is (path), so
// a model outside [model] folders can be named by requests.
// Plain values; parsing touches no file.
#pragma once

#include <QString>
#include <vector>

#include "smartbot/common/result.h"

namespace smartbot {

class ConfigFile;

struct ModelOptions {
    int threads = 0;         // threads: 0 = the engine's choice
    int kvCacheMb = 0;       // kv_cache_mb: KV memory (running sequences + prefix cache); 0 = the engine's choice
    int keepAliveS = 300;    // keep_alive: an on-demand model is unloaded after this long idle; -1 = never
    bool prefixCache = true; // prefix_cache
    QString dtype = QStringLiteral("auto");      // dtype: auto, float32, bfloat16, float16 (CUDA)
    QString cpuDecode = QStringLiteral("fused"); // cpu_decode: fused or libtorch
    QString quantize = QStringLiteral("none");   // quantize: none, q8_0, q4_0, q4_k_m (safetensors models at load)
};

// One [model.NAME] section.
struct ModelSection {
    QString name;         // NAME: the model name requests use
    QString path;         // path (absolute; empty = found by name in [model] folders)
    ModelOptions options; // its keys over [model]'s
};

// The keys of `section` ("model", or "model.NAME") over `inherited`. Errors read "server.conf: [section] key ...".
Result<ModelOptions> readModelOptions(const ConfigFile &file, const QString &section, ModelOptions inherited);

// Every [model.NAME] section, in file order, over base ([model]'s options); a key that is not a model option is an
// error (a misspelt key would otherwise be ignored in silence), and so is a name that is not a model name.
Result<std::vector<ModelSection>> parseModelSections(const ConfigFile &file, const QString &configDir,
                                                     const ModelOptions &base);

} // namespace smartbot
