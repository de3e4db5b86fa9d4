// SPDX-License-Identifier: GPL-3.0-or-later
#include "elfs/resnet_proxy.h"

#include "backbone/vit_model.h"
#include "elfs/cifar_resnet.h"
#include "elfs/torch_threads.h"
#include "selection/selection.h"
#include "util/random_stream.h"

#include <chrono>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace freesel {

namespace {

void validate(const PixelImages& images, const std::vector<int>& labels,
              const ResNetProxyOptions& o) {
    if (int(labels.size()) != images.images)
        throw std::invalid_argument("ELFS proxy: " + std::to_string(labels.size()) +
                                    " labels for " + std::to_string(images.images) + " images");
    if (o.epochs < 1 || o.epochs > 10000)
        throw std::invalid_argument("--elfs-epochs must be in [1, 10000], got " +
                                    std::to_string(o.epochs));
    if (o.batchSize < 1 || o.width < 1 || o.padding < 0 || o.padding >= images.side)
        throw std::invalid_argument("ELFS ResNet proxy: batch, width >= 1 and padding in [0, "
                                    "image side) required");
}

/// The pool as one N x 3 x S x S tensor on `device`.
torch::Tensor pixelTensor(const PixelImages& images, const torch::Device& device) {
    return torch::from_blob(const_cast<float*>(images.pixels.data()),
                            {images.images, 3, images.side, images.side})
        .to(device, /*non_blocking=*/false, /*copy=*/true);
}

/// The augmented batch: per image a crop of the reflect-padded image at an offset in
/// [0, 2 * padding]^2, mirrored left-right with probability 1/2, drawn from the image's own
/// stream of this epoch (so the views never depend on batch order or threads).
torch::Tensor augmentedBatch(const torch::Tensor& pool, const std::vector<int64_t>& ids,
                             int padding, uint64_t epochSeed) {
    const torch::Tensor index = torch::tensor(ids).to(pool.device());
    torch::Tensor batch = pool.index_select(0, index);
    if (padding == 0)
        return batch;
    namespace F = torch::nn::functional;
    const torch::Tensor padded = F::pad(
        batch, F::PadFuncOptions({padding, padding, padding, padding}).mode(torch::kReflect));
    const int64_t side = batch.size(2);
    std::vector<torch::Tensor> views;
    views.reserve(ids.size());
    for (size_t s = 0; s < ids.size(); ++s) {
        RandomStream random = RandomStream::forItem(epochSeed, uint64_t(ids[s]));
        const int64_t dy = int64_t(random.uniformIndex(uint64_t(2 * padding + 1)));
        const int64_t dx = int64_t(random.uniformIndex(uint64_t(2 * padding + 1)));
        torch::Tensor view = padded[int64_t(s)].narrow(1, dy, side).narrow(2, dx, side);
        if (random.uniform01() < 0.5)
            view = view.flip({2});
        views.push_back(view);
    }
    return torch::stack(views);
}

double cosineRate(const ResNetProxyOptions& o, int64_t step, int64_t totalSteps) {
    const double cosine = 0.5 * (1.0 + std::cos(M_PI * double(step) / double(totalSteps)));
    return o.finalLearningRate + (o.learningRate - o.finalLearningRate) * cosine;
}

torch::optim::SGD makeOptimiser(CifarResNet18& net, const ResNetProxyOptions& o) {
    return torch::optim::SGD(net->parameters(), torch::optim::SGDOptions(o.learningRate)
                                                    .momentum(o.momentum)
                                                    .nesterov(true)
                                                    .weight_decay(o.weightDecay));
}

} // namespace

ProxyReport trainResNetProxy(const PixelImages& images, const std::vector<int>& labels, int classes,
                             const ResNetProxyOptions& o, const ProxyProgress& progress,
                             const std::atomic<bool>* cancel) {
    validate(images, labels, o);
    TrainingDynamics dynamics(labels, classes);
    ProxyReport report;
    if (images.images == 0) {
        report.scores = dynamics.scores();
        return report;
    }
    TorchThreads torchThreads(resolveThreadCount(o.threads));
    const torch::Device device = resolveTorchDevice(o.device);
    torch::manual_seed(o.seed);
    CifarResNet18 net(classes, o.width);
    net->to(device);
    net->train();
    torch::optim::SGD optimiser = makeOptimiser(net, o);
    const torch::Tensor pool = pixelTensor(images, device);
    const torch::Tensor target =
        torch::tensor(std::vector<int64_t>(labels.begin(), labels.end())).to(device);
    const int64_t n = images.images;
    const int64_t batches = (n + o.batchSize - 1) / o.batchSize;
    std::vector<int64_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), int64_t{0});
    for (int epoch = 0; epoch < o.epochs; ++epoch) {
        const uint64_t epochSeed = RandomStream::forItem(o.seed, uint64_t(epoch)).next();
        RandomStream shuffle = RandomStream::forItem(epochSeed, uint64_t(n));
        for (int64_t i = n - 1; i > 0; --i)
            std::swap(order[size_t(i)], order[shuffle.uniformIndex(uint64_t(i + 1))]);
        double lossSum = 0.0;
        int64_t agreed = 0;
        for (int64_t b = 0; b < batches; ++b) {
            if (cancel && cancel->load()) {
                report.cancelled = true;
                report.scores = dynamics.scores();
                return report;
            }
            const int64_t begin = b * o.batchSize, end = std::min(n, begin + o.batchSize);
            const std::vector<int64_t> ids(order.begin() + begin, order.begin() + end);
            for (auto& group : optimiser.param_groups())
                static_cast<torch::optim::SGDOptions&>(group.options())
                    .lr(cosineRate(o, int64_t(epoch) * batches + b, batches * o.epochs));
            const torch::Tensor logits =
                net->forward(augmentedBatch(pool, ids, o.padding, epochSeed));
            const torch::Tensor batchTarget = target.index_select(0, torch::tensor(ids).to(device));
            const torch::Tensor loss = torch::nn::functional::cross_entropy(logits, batchTarget);
            const torch::Tensor detached = logits.detach().to(torch::kCPU).contiguous();
            dynamics.record(ids.data(), detached.data_ptr<float>(), end - begin, epoch);
            agreed += detached.argmax(1).eq(batchTarget.to(torch::kCPU)).sum().item<int64_t>();
            lossSum += loss.item<double>() * double(end - begin);
            optimiser.zero_grad();
            loss.backward();
            optimiser.step();
        }
        report.curve.push_back(
            ProxyEpoch{epoch + 1, o.epochs, lossSum / double(n), double(agreed) / double(n)});
        const bool stop =
            (cancel && cancel->load()) || (progress && !progress(report.curve.back()));
        if (stop && epoch + 1 < o.epochs) {
            report.cancelled = true;
            break;
        }
    }
    report.scores = dynamics.scores();
    return report;
}

double estimateResNetProxySeconds(const PixelImages& images, int classes,
                                  const ResNetProxyOptions& o, double* stepSeconds) {
    if (images.images == 0)
        return 0.0;
    TorchThreads torchThreads(resolveThreadCount(o.threads));
    const torch::Device device = resolveTorchDevice(o.device);
    CifarResNet18 net(classes, o.width);
    net->to(device);
    net->train();
    torch::optim::SGD optimiser = makeOptimiser(net, o);
    const int64_t batch = std::min<int64_t>(o.batchSize, images.images);
    std::vector<int64_t> ids(static_cast<size_t>(batch));
    std::iota(ids.begin(), ids.end(), int64_t{0});
    const torch::Tensor pool = pixelTensor(images, device);
    const torch::Tensor target = torch::zeros({batch}, torch::kLong).to(device);
    auto step = [&] {
        const torch::Tensor loss = torch::nn::functional::cross_entropy(
            net->forward(augmentedBatch(pool, ids, o.padding, 0)), target);
        optimiser.zero_grad();
        loss.backward();
        optimiser.step();
        (void)loss.item<double>(); // waits for the device
    };
    step(); // the first step allocates and (on CUDA) initialises: not representative
    const auto start = std::chrono::steady_clock::now();
    step();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (stepSeconds)
        *stepSeconds = seconds;
    // A smaller last batch costs proportionally less: scale by images, not by batches.
    return seconds * double(images.images) / double(batch) * double(o.epochs);
}

std::string describeDuration(double seconds) {
    const long long s = std::llround(std::max(seconds, 0.0));
    if (s >= 3600)
        return "about " + std::to_string(s / 3600) + " h " + std::to_string(s % 3600 / 60) + " min";
    if (s >= 60)
        return "about " + std::to_string((s + 30) / 60) + " min";
    return "about " + std::to_string(s) + " s";
}

} // namespace freesel
