#include "transpose/transpose_model.h"

#include "posescope/models/checkpoint.h"

namespace posescope::models::transpose {
namespace {

torch::nn::Sequential makeDeconvLayers(const TransPoseConfig& c) {
    torch::nn::Sequential layers;
    int64_t in = c.dModel;
    for (int64_t i = 0; i < c.deconvLayers; ++i) {
        const int64_t k = c.deconvKernels.at(static_cast<size_t>(i));
        // _get_deconv_cfg: kernel 4 → padding 1, output padding 0; 3 → 1, 1; 2 → 0, 0.
        const int64_t pad = k == 2 ? 0 : 1;
        const int64_t outPad = k == 3 ? 1 : 0;
        const int64_t planes = c.deconvFilters.at(static_cast<size_t>(i));
        layers->push_back(torch::nn::ConvTranspose2d(torch::nn::ConvTranspose2dOptions(in, planes, k)
                                                         .stride(2)
                                                         .padding(pad)
                                                         .output_padding(outPad)
                                                         .bias(c.deconvBias)));
        layers->push_back(torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(planes).eps(1e-5).momentum(0.1)));
        layers->push_back(torch::nn::ReLU());
        in = planes;
    }
    return layers;
}

void require(bool ok, const ModelConfig& c, const std::string& problem) {
    if (!ok) throw ConfigError(problem + " (" + c.source() + ")");
}

// BTranspose's backbone, under PoseScope's MODEL.EXTRA keys (the official code hard-codes it).
void readBotBackbone(const ModelConfig& c, TransPoseConfig& t) {
    t.botPlanes.clear();
    t.botBlocks.clear();
    for (long long v : c.integers("MODEL.EXTRA.BOT_PLANES", {64, 96, 128, 256}))
        t.botPlanes.push_back(v);
    for (long long v : c.integers("MODEL.EXTRA.BOT_BLOCKS", {3, 4, 6, 3}))
        t.botBlocks.push_back(v);
    t.mhsaGroups = c.integer("MODEL.EXTRA.MHSA_GROUPS", 1);
    t.mhsaHeads = c.integer("MODEL.EXTRA.MHSA_HEADS", 4);
    const int64_t groups = static_cast<int64_t>(t.botPlanes.size());
    require(groups >= 2 && t.botBlocks.size() == t.botPlanes.size(), c,
            "MODEL.EXTRA.BOT_PLANES and BOT_BLOCKS: one entry per bottleneck group, at least two");
    for (size_t g = 0; g < t.botPlanes.size(); ++g)
        require(t.botPlanes[g] > 0 && t.botBlocks[g] > 0, c, "MODEL.EXTRA.BOT_PLANES and BOT_BLOCKS must be positive");
    require(t.mhsaGroups >= 0 && t.mhsaGroups <= groups - 2, c,
            "MODEL.EXTRA.MHSA_GROUPS: BoT groups are among the groups after the second (stride 8), so 0.." +
                std::to_string(groups - 2));
    require(t.mhsaHeads > 0, c, "MODEL.EXTRA.MHSA_HEADS must be positive");
    for (int64_t g = groups - t.mhsaGroups; g < groups; ++g)
        require(t.botPlanes[static_cast<size_t>(g)] % t.mhsaHeads == 0, c,
                "MODEL.EXTRA.BOT_PLANES of an MHSA group must be a multiple of MODEL.EXTRA.MHSA_HEADS");
    require(t.posEmbedding != "sine", c, "MODEL.POS_EMBEDDING: BTranspose's is learnable (or none)");
}

}  // namespace

TransPoseConfig transposeConfig(const ModelConfig& c) {
    TransPoseConfig t;
    const std::string name = c.string("MODEL.NAME");
    if (name != "transpose_r" && name != "transpose_h" && name != "btranspose")
        throw ConfigError("MODEL.NAME: '" + name + "' is not a TransPose or BTranspose model (" + c.source() + ")");
    t.hrnet = name == "transpose_h";
    t.bot = name == "btranspose";
    const auto image = c.integers("MODEL.IMAGE_SIZE");
    const auto heatmap = c.integers("MODEL.HEATMAP_SIZE");
    if (image.size() != 2 || heatmap.size() != 2)
        throw ConfigError("MODEL.IMAGE_SIZE and MODEL.HEATMAP_SIZE are [width, height] (" + c.source() + ")");
    t.imageWidth = image[0];
    t.imageHeight = image[1];
    t.heatmapWidth = heatmap[0];
    t.heatmapHeight = heatmap[1];
    t.joints = c.integer("MODEL.NUM_JOINTS", 17);
    t.dModel = c.integer("MODEL.DIM_MODEL", 256);
    t.ffn = c.integer("MODEL.DIM_FEEDFORWARD", 512);
    t.heads = c.integer("MODEL.N_HEAD", 8);
    t.layers = c.integer("MODEL.ENCODER_LAYERS", 6);
    t.posEmbedding = c.string("MODEL.POS_EMBEDDING", "learnable");
    if (t.posEmbedding != "sine" && t.posEmbedding != "learnable" && t.posEmbedding != "none")
        throw ConfigError("MODEL.POS_EMBEDDING: expected sine, learnable or none (" + c.source() + ")");
    const auto positive = [&](long long v, const char* key) {
        if (v < 1)
            throw ConfigError(std::string(key) + ": expected a positive number, got " + std::to_string(v) + " (" +
                              c.source() + ")");
    };
    positive(t.imageWidth, "MODEL.IMAGE_SIZE");
    positive(t.imageHeight, "MODEL.IMAGE_SIZE");
    positive(t.heatmapWidth, "MODEL.HEATMAP_SIZE");
    positive(t.heatmapHeight, "MODEL.HEATMAP_SIZE");
    positive(t.joints, "MODEL.NUM_JOINTS");
    positive(t.dModel, "MODEL.DIM_MODEL");
    positive(t.ffn, "MODEL.DIM_FEEDFORWARD");
    positive(t.heads, "MODEL.N_HEAD");
    positive(t.layers, "MODEL.ENCODER_LAYERS");
    if (t.dModel % t.heads != 0)
        throw ConfigError("MODEL.DIM_MODEL must be divisible by MODEL.N_HEAD (" + c.source() + ")");
    t.finalKernel = c.integer("MODEL.EXTRA.FINAL_CONV_KERNEL", 1);
    t.stemWidth = c.integer("MODEL.EXTRA.STEM_WIDTH", 64);
    if (t.stemWidth < 1 || t.stemWidth > 4096)
        throw ConfigError("MODEL.EXTRA.STEM_WIDTH: expected 1…4096, got " + std::to_string(t.stemWidth) + " (" +
                          c.source() + ")");
    t.dropout = c.number("MODEL.ENCODER_DROPOUT", 0.1);
    if (!(t.dropout >= 0 && t.dropout < 1))
        throw ConfigError("MODEL.ENCODER_DROPOUT: expected a probability in [0, 1) (" + c.source() + ")");
    if (t.hrnet) {
        t.hrnetSpec = hrnetSpecFromConfig(c, "TransPose-H");
        t.hrnetSpec.stemWidth = static_cast<int>(t.stemWidth);
    } else {
        if (t.bot) readBotBackbone(c, t);
        const long long depth = c.integer("MODEL.EXTRA.NUM_LAYERS", 50);
        if (depth == 50 || depth == 101)
            t.resnetBlocks = {3, 4};  // resnet_spec[depth][:2]: TransPose-R keeps layer1 and layer2
        else if (depth == 152)
            t.resnetBlocks = {3, 8};
        else
            throw ConfigError("MODEL.EXTRA.NUM_LAYERS: TransPose-R is defined for ResNet-50/101/152 (" + c.source() +
                              ")");
        t.deconvLayers = c.integer("MODEL.EXTRA.NUM_DECONV_LAYERS", 1);
        t.deconvFilters.clear();
        t.deconvKernels.clear();
        for (long long v : c.integers("MODEL.EXTRA.NUM_DECONV_FILTERS", {256}))
            t.deconvFilters.push_back(v);
        for (long long v : c.integers("MODEL.EXTRA.NUM_DECONV_KERNELS", {4}))
            t.deconvKernels.push_back(v);
        t.deconvBias = c.boolean("MODEL.EXTRA.DECONV_WITH_BIAS", false);
        for (int64_t v : t.deconvFilters)
            positive(v, "MODEL.EXTRA.NUM_DECONV_FILTERS");
        for (int64_t v : t.deconvKernels)
            positive(v, "MODEL.EXTRA.NUM_DECONV_KERNELS");
        if (static_cast<int64_t>(t.deconvFilters.size()) != t.deconvLayers ||
            static_cast<int64_t>(t.deconvKernels.size()) != t.deconvLayers)
            throw ConfigError("MODEL.EXTRA.NUM_DECONV_FILTERS/KERNELS need NUM_DECONV_LAYERS entries (" + c.source() +
                              ")");
    }
    return t;
}

std::optional<ModelConfig> btransposeForCheckpoint(const ModelConfig& yaml, const Checkpoint& checkpoint) {
    if (yaml.string("MODEL.NAME", "") != "transpose_r") return std::nullopt;
    std::map<std::string, std::vector<int64_t>> shapes;
    for (const auto& [name, t] : checkpoint.tensors)
        shapes[name] = t.sizes().vec();
    const auto has = [&](const std::string& key) { return shapes.count(key) > 0; };
    if (!has("model_alpha.conv1.weight") || !has("model_alpha.reduce.weight")) return std::nullopt;
    std::string planes, blocks;
    int mhsaGroups = 0;
    int64_t heads = 4;
    for (int g = 1; has("model_alpha.layer" + std::to_string(g) + ".0.conv1.weight"); ++g) {
        const std::string p = "model_alpha.layer" + std::to_string(g) + ".";
        int count = 0;
        while (has(p + std::to_string(count) + ".conv1.weight"))
            ++count;
        planes += (planes.empty() ? "" : ", ") + std::to_string(shapes[p + "0.conv1.weight"][0]);
        blocks += (blocks.empty() ? "" : ", ") + std::to_string(count);
        if (has(p + "0.conv2.0.rel_h")) {
            ++mhsaGroups;
            heads = shapes[p + "0.conv2.0.rel_h"][1];
        }
    }
    int layers = 0;
    while (has("model_alpha.global_encoder.layers." + std::to_string(layers) + ".linear1.weight"))
        ++layers;
    ModelConfig c = yaml;
    c.define("MODEL.NAME", "btranspose");
    c.define("MODEL.EXTRA.BOT_PLANES", "[" + planes + "]");
    c.define("MODEL.EXTRA.BOT_BLOCKS", "[" + blocks + "]");
    c.define("MODEL.EXTRA.MHSA_GROUPS", std::to_string(mhsaGroups));
    c.define("MODEL.EXTRA.MHSA_HEADS", std::to_string(heads));
    c.define("MODEL.DIM_MODEL", std::to_string(shapes["model_alpha.reduce.weight"][0]));
    c.define("MODEL.ENCODER_LAYERS", std::to_string(layers));
    if (layers > 0)
        c.define("MODEL.DIM_FEEDFORWARD",
                 std::to_string(shapes["model_alpha.global_encoder.layers.0.linear1.weight"][0]));
    c.define("MODEL.POS_EMBEDDING", has("model_alpha.pos_embedding") ? "learnable" : "none");
    return c;
}

TransPoseImpl::TransPoseImpl(const TransPoseConfig& c) : config(c), stride(c.hrnet ? 4 : 8) {
    int64_t channels = 0;
    const int64_t h = c.imageHeight / stride, w = c.imageWidth / stride;
    // BTranspose nests everything up to the encoder in "model_alpha" (its TransPoseR_alpha).
    torch::nn::Module* root = this;
    if (c.bot) root = register_module("model_alpha", std::make_shared<torch::nn::Module>()).get();
    if (c.bot) {
        // The official module registers pos_embedding first; parameters come before children.
        if (c.posEmbedding == "learnable")
            pos_embedding = root->register_parameter("pos_embedding", torch::randn({h * w, 1, c.dModel}));
        bot =
            std::make_unique<btranspose::BotBackbone>(*root, c.botPlanes, c.botBlocks, c.mhsaGroups, c.mhsaHeads, h, w);
        channels = bot->outChannels();
    } else if (c.hrnet) {
        hrnet = std::make_unique<HrnetStem>(*this, c.hrnetSpec);
        channels = c.hrnetSpec.stage3.channels.at(0);
    } else {
        resnet = std::make_unique<ResnetStem>(*this, c.resnetBlocks, c.stemWidth);
        channels = resnet->outChannels();
    }
    reduce =
        root->register_module("reduce", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, c.dModel, 1).bias(false)));
    if (c.posEmbedding == "sine")
        pos_embedding = root->register_parameter("pos_embedding", sinePositionEmbedding(h, w, c.dModel), false);
    else if (c.posEmbedding == "learnable" && !c.bot)
        pos_embedding = root->register_parameter("pos_embedding", torch::randn({h * w, 1, c.dModel}));
    global_encoder = root->register_module("global_encoder", Encoder(c.layers, c.dModel, c.heads, c.ffn, c.dropout));
    global_encoder->posOnlyAtFirst = c.bot;
    int64_t headIn = c.dModel;
    if (!c.hrnet) {
        deconv_layers = register_module("deconv_layers", makeDeconvLayers(c));
        headIn = c.deconvFilters.back();
    }
    final_layer = register_module(
        "final_layer",
        torch::nn::Conv2d(
            torch::nn::Conv2dOptions(headIn, c.joints, c.finalKernel).padding(c.finalKernel == 3 ? 1 : 0)));
}

torch::Tensor TransPoseImpl::head(const torch::Tensor& tokens, int64_t h, int64_t w) {
    const torch::Tensor x = tokens.transpose(1, 2).reshape({tokens.size(0), tokens.size(2), h, w});
    return final_layer->forward(deconv_layers ? deconv_layers->forward(x) : x);
}

torch::Tensor TransPoseImpl::forward(const torch::Tensor& x, TraceObserver* observer) {
    const torch::Tensor features = bot ? bot->forward(x, observer) : hrnet ? hrnet->forward(x) : resnet->forward(x);
    const torch::Tensor reduced = reduce->forward(features);
    const int64_t n = reduced.size(0), d = reduced.size(1), h = reduced.size(2), w = reduced.size(3);
    torch::Tensor pos;
    if (pos_embedding.defined()) {
        const int64_t peH = config.imageHeight / stride, peW = config.imageWidth / stride;
        pos = (h == peH && w == peW) ? pos_embedding : resizePositionEmbedding(pos_embedding, peH, peW, h, w);
        pos = pos.permute({1, 0, 2});  // [1, L, d]
    } else {
        pos = torch::zeros({1, h * w, d}, reduced.options());
    }
    const torch::Tensor tokens = global_encoder->forward(reduced.flatten(2).transpose(1, 2), pos, observer,
                                                         static_cast<int>(h), static_cast<int>(w));
    const torch::Tensor encoded = tokens.transpose(1, 2).reshape({n, d, h, w});
    torch::Tensor deconv;
    if (deconv_layers) deconv = deconv_layers->forward(encoded);
    if (observer) {
        observer->onExtra("features/backbone", features.contiguous());
        observer->onExtra("features/reduce", reduced.contiguous());
        observer->onExtra("features/encoder", encoded.contiguous());
        if (deconv.defined()) observer->onExtra("features/deconv", deconv.contiguous());
    }
    return final_layer->forward(deconv.defined() ? deconv : encoded);
}

TransPoseModel::TransPoseModel(const TransPoseConfig& c) : m_net(std::make_shared<TransPoseImpl>(c)) {
    m_net->eval();
    // Convolutions run about twice as fast on channels-last (NHWC) tensors with LibTorch's oneDNN
    // kernels; the weights are stored that way once (loading copies values in and keeps the layout)
    // and forward() feeds the input that way. Values and state-dict keys are unchanged.
    {
        torch::NoGradGuard noGrad;
        for (torch::Tensor& p : m_net->parameters())
            if (p.dim() == 4) p.set_data(p.contiguous(torch::MemoryFormat::ChannelsLast));
    }
    m_info.family = c.bot ? "BTranspose" : c.hrnet ? "TransPose-H" : "TransPose-R";
    std::vector<TensorInfo> keys;
    for (const auto& [name, t] : stateDictOf(*m_net))
        keys.push_back({name, t.sizes().vec(), ""});
    m_info.variant = recogniseArchitecture(keys).variant;
    m_info.inputWidth = static_cast<int>(c.imageWidth);
    m_info.inputHeight = static_cast<int>(c.imageHeight);
    m_info.outputWidth = static_cast<int>(c.heatmapWidth);
    m_info.outputHeight = static_cast<int>(c.heatmapHeight);
    m_info.keypoints = static_cast<int>(c.joints);
    m_info.encoderLayers = static_cast<int>(c.layers);
    m_info.heads = static_cast<int>(c.heads);
    m_info.dModel = static_cast<int>(c.dModel);
    m_info.gridRows = static_cast<int>(c.imageHeight / m_net->stride);
    m_info.gridCols = static_cast<int>(c.imageWidth / m_net->stride);
    if (c.bot) {
        for (size_t g = c.botBlocks.size() - static_cast<size_t>(c.mhsaGroups); g < c.botBlocks.size(); ++g)
            m_info.mhsaBlocks += static_cast<int>(c.botBlocks[g]);
        m_info.mhsaHeads = m_info.mhsaBlocks > 0 ? static_cast<int>(c.mhsaHeads) : 0;
    }
}

torch::Tensor TransPoseModel::forward(const torch::Tensor& input, TraceObserver* observer) const {
    const std::string name = m_info.family + (m_info.variant.empty() ? "" : " " + m_info.variant);
    const int64_t multiple = m_net->config.hrnet ? 16 : 8;  // the backbone's coarsest stride
    if (input.dim() != 4 || input.size(1) != 3 || input.size(2) % multiple != 0 || input.size(3) % multiple != 0)
        throw ModelError(name + ": expected an input [N, 3, H, W] with H and W multiples of " +
                         std::to_string(multiple) + ", got " + c10::str(input.sizes()));
    if (input.scalar_type() != torch::kFloat32) throw ModelError(name + ": expected a float32 input");
    try {
        torch::NoGradGuard noGrad;
        return m_net->forward(input.contiguous(torch::MemoryFormat::ChannelsLast), observer).contiguous();
    } catch (const c10::Error& e) {
        throw ModelError(name + ": " + e.what_without_backtrace());
    }
}

torch::Tensor TransPoseModel::forwardTraining(const torch::Tensor& input, TraceObserver* observer) {
    try {
        return m_net->forward(input.contiguous(torch::MemoryFormat::ChannelsLast), observer);
    } catch (const c10::Error& e) {
        throw ModelError(m_info.family + ": " + e.what_without_backtrace());
    }
}

void TransPoseModel::initialiseForTraining() {
    // The official init_weights: deconvolutions and the final layer N(0, 0.001) with zero bias,
    // BatchNorm weight 1 and bias 0; the encoder xavier-uniform (as constructed). The stems come from
    // ImageNet in the official recipe; trained from scratch here, their convolutions get He-normal
    // (fan_out, ReLU) as torchvision's ResNet initialises them.
    torch::NoGradGuard noGrad;
    for (const auto& item : m_net->named_modules("", false)) {
        const std::string& name = item.key();
        torch::nn::Module& m = *item.value();
        const bool head = name.rfind("deconv_layers", 0) == 0 || name.rfind("final_layer", 0) == 0;
        if (auto* conv = dynamic_cast<torch::nn::Conv2dImpl*>(&m)) {
            if (head)
                conv->weight.normal_(0, 0.001);
            else
                torch::nn::init::kaiming_normal_(conv->weight, 0, torch::kFanOut, torch::kReLU);
            if (conv->bias.defined()) conv->bias.zero_();
        } else if (auto* deconv = dynamic_cast<torch::nn::ConvTranspose2dImpl*>(&m)) {
            deconv->weight.normal_(0, 0.001);
            if (deconv->bias.defined()) deconv->bias.zero_();
        } else if (auto* bn = dynamic_cast<torch::nn::BatchNorm2dImpl*>(&m)) {
            bn->weight.fill_(1);
            bn->bias.zero_();
        }
    }
}

torch::Tensor TransPoseModel::headOnTokens(const LayerTrace& layer) const {
    try {
        torch::NoGradGuard noGrad;
        return m_net->head(layer.tokens, layer.gridRows, layer.gridCols).contiguous();
    } catch (const c10::Error& e) {
        throw ModelError(m_info.family + ": " + e.what_without_backtrace());
    }
}

torch::Tensor TransPoseModel::attentionRows(const LayerTrace& layer, const torch::Tensor& queries) const {
    const auto& layers = m_net->global_encoder->layers;
    if (!layer.queries.defined() || !layer.keys.defined() || layer.index < 0 ||
        static_cast<size_t>(layer.index) >= layers->size())
        throw ModelError(m_info.family + ": attention rows need a layer traced by this model");
    if (queries.dim() != 2 || queries.size(0) != layer.queries.size(0) || queries.scalar_type() != torch::kInt64)
        throw ModelError(m_info.family + ": attention rows need queries [N, Q] int64 with N = " +
                         std::to_string(layer.queries.size(0)) + ", got " + c10::str(queries.sizes()));
    const int64_t length = layer.queries.size(1);
    if (queries.numel() > 0 && (queries.min().item<int64_t>() < 0 || queries.max().item<int64_t>() >= length))
        throw ModelError(m_info.family + ": attention rows: a query is outside the sequence of " +
                         std::to_string(length) + " tokens");
    try {
        torch::NoGradGuard noGrad;
        return layers->ptr<EncoderLayerImpl>(static_cast<size_t>(layer.index))
            ->self_attn->rows(layer.queries, layer.keys, queries);
    } catch (const c10::Error& e) {
        throw ModelError(m_info.family + ": " + e.what_without_backtrace());
    }
}

}  // namespace posescope::models::transpose
