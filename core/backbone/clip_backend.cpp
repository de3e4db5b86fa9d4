// SPDX-License-Identifier: GPL-3.0-or-later
#include "backbone/clip_backend.h"

#include "backbone/clip_model.h"
#include "backbone/parallel_chunks.h"
#include "backbone/vit_kernels.h"
#include "backbone/vit_model.h"
#include "text/clip_tokenizer.h"
#include "weights/clip_checkpoint.h"

#include <algorithm>
#include <stdexcept>
#include <thread>

namespace freesel {

namespace {

std::vector<float> toVector(const torch::Tensor& t) {
    const torch::Tensor dense = t.to(torch::kCPU, torch::kFloat32).contiguous();
    return std::vector<float>(dense.data_ptr<float>(), dense.data_ptr<float>() + dense.numel());
}

void validate(const ClipBackendOptions& o) {
    if (o.batchSize < 1 || o.batchSize > 4096)
        throw std::invalid_argument("batch size must be in 1..4096, got " +
                                    std::to_string(o.batchSize));
    if (o.threads < 0)
        throw std::invalid_argument("threads must be >= 0 (0 = all cores), got " +
                                    std::to_string(o.threads));
    if (o.imagesPerTask < 1 || o.imagesPerTask > 4096)
        throw std::invalid_argument("images per task must be in 1..4096, got " +
                                    std::to_string(o.imagesPerTask));
    if (o.neighbourhoodRadius < 0 || o.neighbourhoodRadius > 64)
        throw std::invalid_argument("neighbourhood radius must be in 0..64, got " +
                                    std::to_string(o.neighbourhoodRadius));
}

} // namespace

struct ClipBackend::Impl {
    ClipBackendOptions options;
    QString weightsId;
    torch::Device device{torch::kCPU};
    ClipWeights weights;
    int threads = 0;

    bool splitsImages(size_t count) const {
        return sharesOutImages(device.is_cpu(), threads, options.imageParallel,
                               options.imagesPerTask, count);
    }
    std::vector<ImageFeatures> runBatch(const std::vector<cv::Mat>& images,
                                        const IdleWork& idle) const;
    std::vector<ImageFeatures> runImages(const std::vector<cv::Mat>& images) const;
};

ClipBackend::ClipBackend(const std::string& checkpointPath, QString weightsId,
                         const ClipBackendOptions& options, const ClipConfig* expected)
    : impl_(std::make_unique<Impl>()) {
    validate(options);
    impl_->options = options;
    impl_->weightsId = std::move(weightsId);
    impl_->device = resolveTorchDevice(options.device);
    ClipWeights weights = loadClipCheckpoint(checkpointPath);
    if (expected && !(weights.config == *expected))
        throw std::invalid_argument(checkpointPath + " holds CLIP " + weights.config.describe() +
                                    ", not " + expected->describe() +
                                    "; name its model with --model, or leave --model out");
    if (impl_->device.is_cpu()) {
        const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
        impl_->threads = options.threads > 0 ? options.threads : int(cores);
        torch::set_num_threads(impl_->threads);
    }
    for (auto& [name, tensor] : weights.tensors)
        tensor = tensor.to(impl_->device);
    if (impl_->device.is_cpu() && packedKernelsAvailable()) {
        avoidBlasThreadContention(); // OpenBLAS's pool would spin against oneDNN's (as DINO)
        packClipWeights(weights, impl_->splitsImages(size_t(options.batchSize))
                                     ? options.imagesPerTask
                                     : options.batchSize);
    }
    impl_->weights = std::move(weights);
}

ClipBackend::~ClipBackend() = default;

QString ClipBackend::name() const {
    return QStringLiteral("clip");
}

QString ClipBackend::fingerprint() const {
    const ClipConfig& c = config();
    const QString model = QString::fromStdString(c.name.empty() ? c.describe() : c.name);
    // preprocess: CLIP's short-side resize and centre crop (earlier stores were made from
    // square-resized images; the tag keeps them apart)
    return QStringLiteral("clip|model=%1|weights=%2|precision=float32|%3")
        .arg(model, impl_->weightsId, QLatin1String(kCentreCropFingerprintTag));
}

QString ClipBackend::deviceDescription() const {
    if (impl_->device.is_cuda())
        return QStringLiteral("CUDA:%1 (float32)").arg(impl_->device.index());
    return QStringLiteral("CPU (%1 threads, float32)").arg(impl_->threads);
}

int ClipBackend::patchSize() const {
    return config().patchSize;
}

int ClipBackend::neighbourhoodRadius() const {
    return impl_->options.neighbourhoodRadius;
}

ResizeSpec ClipBackend::inputResize(int /*inputSize*/) const {
    return clipResize(config().inputResolution());
}

InputPreprocessing ClipBackend::inputPreprocessing(int inputSize) const {
    return {inputResize(inputSize), config().inputResolution()};
}

const ClipConfig& ClipBackend::config() const {
    return impl_->weights.config;
}

double ClipBackend::logitScale() const {
    return impl_->weights.logitScale();
}

int ClipBackend::embeddingDims() const {
    return config().embedDim;
}

std::vector<ImageFeatures> ClipBackend::run(const std::vector<cv::Mat>& rgbImages) {
    return runSharingThreads(rgbImages, {});
}

bool ClipBackend::runsIdleWork(std::size_t count) const {
    return impl_->splitsImages(std::min(count, std::size_t(impl_->options.batchSize)));
}

std::vector<ImageFeatures> ClipBackend::runSharingThreads(const std::vector<cv::Mat>& rgbImages,
                                                          const IdleWork& idle) {
    for (size_t i = 0; i < rgbImages.size(); ++i)
        if (rgbImages[i].empty() || rgbImages[i].type() != CV_8UC3)
            throw std::invalid_argument("image " + std::to_string(i) +
                                        " must be 8-bit RGB (CV_8UC3)");
    std::vector<ImageFeatures> features;
    features.reserve(rgbImages.size());
    const size_t batch = size_t(impl_->options.batchSize);
    for (size_t begin = 0; begin < rgbImages.size(); begin += batch) {
        const size_t end = std::min(rgbImages.size(), begin + batch);
        const std::vector<cv::Mat> images(rgbImages.begin() + long(begin),
                                          rgbImages.begin() + long(end));
        for (ImageFeatures& f : impl_->runBatch(images, idle))
            features.push_back(std::move(f));
    }
    return features;
}

std::vector<ImageFeatures> ClipBackend::Impl::runBatch(const std::vector<cv::Mat>& images,
                                                       const IdleWork& idle) const {
    if (!splitsImages(images.size()))
        return runImages(images);
    return runInTasks(
        images, options.imagesPerTask,
        [this](const std::vector<cv::Mat>& task) { return runImages(task); }, idle);
}

std::vector<ImageFeatures> ClipBackend::Impl::runImages(const std::vector<cv::Mat>& images) const {
    const ClipConfig& c = weights.config;
    const PatchGrid grid{c.grid, c.grid};
    const int radius = options.neighbourhoodRadius;
    const ClipImageOutput out =
        clipEncodeImage(weights, clipInputTensor(images, c.inputResolution(), device));
    // CLIP has one prefix token ([CLS]); the same reductions as DINO's make the store's view.
    const torch::Tensor patches = out.tokens.slice(1, 1).contiguous().cpu();
    const torch::Tensor cls = out.tokens.select(1, 0).contiguous().cpu();
    const torch::Tensor clsAttention = clsPatchAttention(out.attention, 1).cpu();
    const torch::Tensor band = attentionBand(out.attention, 1, grid, radius).contiguous().cpu();
    const torch::Tensor embedding = out.embedding.contiguous().cpu();
    std::vector<ImageFeatures> features(images.size());
    for (size_t i = 0; i < images.size(); ++i) {
        ImageFeatures& f = features[i];
        const int64_t b = int64_t(i);
        f.grid = grid;
        f.dims = c.vision.width;
        f.patchTokens = toVector(patches[b]);
        f.clsToken = toVector(cls[b]);
        f.clsAttention = toVector(clsAttention[b]);
        f.neighbourhood = NeighbourhoodAttention(grid, radius);
        f.neighbourhood.values() = toVector(band[b]);
        f.clipEmbedding = toVector(embedding[b]);
    }
    return features;
}

std::vector<std::vector<float>> ClipBackend::encodeTexts(const QStringList& texts) const {
    const ClipConfig& c = config();
    const ClipTokenizer& tokenizer = ClipTokenizer::shipped();
    torch::Tensor ids = torch::zeros({int64_t(texts.size()), c.contextLength}, torch::kLong);
    auto slots = ids.accessor<int64_t, 2>();
    for (qsizetype row = 0; row < texts.size(); ++row) {
        const std::vector<int> tokens = tokenizer.tokenize(texts[row], true, c.contextLength);
        for (size_t k = 0; k < tokens.size(); ++k)
            slots[row][int64_t(k)] = tokens[k];
    }
    const torch::Tensor embeddings = clipEncodeText(impl_->weights, ids.to(impl_->device)).cpu();
    std::vector<std::vector<float>> out;
    for (qsizetype row = 0; row < texts.size(); ++row)
        out.push_back(toVector(embeddings[row]));
    return out;
}

} // namespace freesel
