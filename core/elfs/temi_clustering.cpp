// SPDX-License-Identifier: GPL-3.0-or-later
#include "elfs/temi_clustering.h"

#include "elfs/torch_threads.h"
#include "selection/selection.h"
#include "util/random_stream.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

namespace freesel {

namespace {

/// All H heads as batched tensors (one bmm per layer instead of H small matmuls):
/// Linear(D, hidden) - GELU - Linear(hidden, bottleneck) - L2 normalise - weight-normalised
/// Linear(bottleneck, K, no bias) with a trainable gain, DINO-head style.
struct TemiHeadsImpl : torch::nn::Module {
    TemiHeadsImpl(int heads, int dims, int hidden, int bottleneck, int clusters) {
        // trunc_normal_(std=0.02) with timm's default bounds of +-2 (absolute): 100 standard
        // deviations, so a plain normal draw has the same distribution.
        auto truncNormal = [](std::vector<int64_t> shape) { return torch::randn(shape) * 0.02; };
        w1 = register_parameter("w1", truncNormal({heads, dims, hidden}));
        b1 = register_parameter("b1", torch::zeros({heads, 1, hidden}));
        w2 = register_parameter("w2", truncNormal({heads, hidden, bottleneck}));
        b2 = register_parameter("b2", torch::zeros({heads, 1, bottleneck}));
        v = register_parameter("v", truncNormal({heads, bottleneck, clusters}));
        g = register_parameter("g", torch::ones({heads, 1, clusters}));
    }
    /// x: batch x D -> heads x batch x K logits.
    torch::Tensor forward(const torch::Tensor& x) {
        const auto heads = w1.size(0);
        torch::Tensor h =
            torch::gelu(torch::matmul(x.unsqueeze(0).expand({heads, -1, -1}), w1) + b1);
        h = torch::matmul(h, w2) + b2;
        h = torch::nn::functional::normalize(h,
                                             torch::nn::functional::NormalizeFuncOptions().dim(2));
        const torch::Tensor direction = v / v.norm(2, 1, true);
        return torch::matmul(h, direction) * g;
    }
    torch::Tensor w1, b1, w2, b2, v, g;
};
TORCH_MODULE(TemiHeads);

/// Indices of the `k` nearest rows by cosine, self excluded: n x k.
std::vector<int64_t> nearestNeighbours(const torch::Tensor& unit, int k) {
    const int64_t n = unit.size(0);
    std::vector<int64_t> result(size_t(n * k));
    constexpr int64_t chunk = 1024;
    for (int64_t start = 0; start < n; start += chunk) {
        const int64_t end = std::min(n, start + chunk);
        torch::Tensor sims = torch::matmul(unit.slice(0, start, end), unit.t());
        for (int64_t i = start; i < end; ++i) // self excluded by construction
            sims[i - start][i] = -std::numeric_limits<float>::infinity();
        const torch::Tensor top = std::get<1>(sims.topk(k, 1)).contiguous();
        std::copy_n(top.data_ptr<int64_t>(), (end - start) * k, result.begin() + start * k);
    }
    return result;
}

std::vector<torch::Tensor> perHead(const torch::Tensor& logits) {
    return logits.unbind(0);
}

void validate(const Eigen::MatrixXf& rows, const TemiOptions& o) {
    if (o.clusters < 1 || o.clusters > rows.rows())
        throw std::invalid_argument("--elfs-clusters: " + std::to_string(o.clusters) +
                                    " is outside the valid range [1, " +
                                    std::to_string(rows.rows()) + "] (the usable images)");
    if (rows.rows() < 2)
        throw std::invalid_argument("TEMI clustering needs at least 2 images");
    if (o.heads < 1 || o.epochs < 1 || o.batchSize < 1)
        throw std::invalid_argument("TEMI: heads, epochs and batch size must be >= 1");
}

} // namespace

torch::Tensor temiLoss(const std::vector<torch::Tensor>& studentA,
                       const std::vector<torch::Tensor>& studentB,
                       const std::vector<torch::Tensor>& teacherA,
                       const std::vector<torch::Tensor>& teacherB,
                       std::vector<torch::Tensor>& priors, const TemiOptions& o,
                       std::vector<torch::Tensor>* headLosses) {
    const size_t heads = studentA.size();
    std::vector<torch::Tensor> qa, qb, pa, pb;
    for (size_t h = 0; h < heads; ++h) {
        qa.push_back(torch::softmax(teacherA[h].detach() / o.temperature, 1));
        qb.push_back(torch::softmax(teacherB[h].detach() / o.temperature, 1));
        pa.push_back(torch::softmax(studentA[h] / o.temperature, 1));
        pb.push_back(torch::softmax(studentB[h] / o.temperature, 1));
        // The cluster prior moves before it is used (TEMI's update order).
        priors[h] = o.priorMomentum * priors[h] +
                    (1.0 - o.priorMomentum) * torch::cat({qa[h], qb[h]}).mean(0);
    }
    torch::Tensor weight = torch::zeros_like(qa[0].select(1, 0));
    for (size_t h = 0; h < heads; ++h)
        weight = weight + (qa[h] * qb[h]).sum(1);
    weight = (weight / double(heads)).detach();
    torch::Tensor total = torch::zeros({}, studentA[0].options());
    for (size_t h = 0; h < heads; ++h) {
        auto pmi = [&](const torch::Tensor& p, const torch::Tensor& q) {
            return torch::log((torch::pow(p * q, o.beta) / priors[h]).sum(1));
        };
        const torch::Tensor head =
            0.5 * ((weight * -pmi(pa[h], qb[h])).mean() + (weight * -pmi(pb[h], qa[h])).mean());
        if (headLosses)
            headLosses->push_back(head);
        total = total + head;
    }
    return total / double(heads);
}

TemiResult temiClustering(const Eigen::MatrixXf& rows, const TemiOptions& o,
                          const TemiProgress& progress, const std::atomic<bool>* cancel) {
    validate(rows, o);
    // LibTorch's own ops (element-wise, softmax, reductions along a dimension) give the same
    // bits for any thread count; OpenBLAS splits a product differently for 1 and 2 threads,
    // which changes its rounding. So the products run on one BLAS thread, whatever pool size
    // the caller left (the ViT backend sets 1, a fresh process has one per core), and a seed
    // gives the same labels for any --threads (tests/elfs/test_elfs_temi.cpp).
    TorchThreads torchThreads(resolveThreadCount(o.threads));
    BlasThreads blasThreads(1);
    torch::manual_seed(o.seed);
    const int64_t n = rows.rows();
    const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rowMajor = rows;
    const torch::Tensor x =
        torch::from_blob(const_cast<float*>(rowMajor.data()), {n, int64_t(rows.cols())}).clone();
    const int k = int(std::min<int64_t>(o.neighbours, n - 1));
    const std::vector<int64_t> neighbours = nearestNeighbours(
        torch::nn::functional::normalize(x, torch::nn::functional::NormalizeFuncOptions().dim(1)),
        k);

    TemiHeads student(o.heads, int(rows.cols()), o.hidden, o.bottleneck, o.clusters);
    TemiHeads teacher(o.heads, int(rows.cols()), o.hidden, o.bottleneck, o.clusters);
    {
        torch::NoGradGuard noGrad;
        for (size_t i = 0; i < student->parameters().size(); ++i)
            teacher->parameters()[i].copy_(student->parameters()[i]);
    }
    const int batch = int(std::min<int64_t>(o.batchSize, n));
    const double lr = o.baseLearningRate * batch / 256.0;
    // Weight decay on the weight tensors only, never on biases or the gain (TEMI/DINO groups).
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(std::vector<torch::Tensor>{student->w1, student->w2, student->v},
                        std::make_unique<torch::optim::AdamWOptions>(
                            torch::optim::AdamWOptions(lr).weight_decay(o.weightDecay)));
    groups.emplace_back(std::vector<torch::Tensor>{student->b1, student->b2, student->g},
                        std::make_unique<torch::optim::AdamWOptions>(
                            torch::optim::AdamWOptions(lr).weight_decay(0.0)));
    torch::optim::AdamW optimiser(std::move(groups));

    std::vector<torch::Tensor> priors(size_t(o.heads), torch::full({o.clusters}, 1.0 / o.clusters));
    TemiResult result;
    std::vector<double> headLoss(size_t(o.heads), 0.0);
    std::vector<int64_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), int64_t{0});
    const int64_t batches = n / batch; // drop_last, as the official loader does
    const int64_t warmupSteps = int64_t(o.warmupEpochs) * batches;
    for (int epoch = 0; epoch < o.epochs; ++epoch) {
        RandomStream random = RandomStream::forItem(o.seed, uint64_t(epoch));
        for (int64_t i = n - 1; i > 0; --i)
            std::swap(order[size_t(i)], order[random.uniformIndex(uint64_t(i + 1))]);
        std::fill(headLoss.begin(), headLoss.end(), 0.0);
        double epochLoss = 0.0;
        for (int64_t b = 0; b < batches; ++b) {
            std::vector<int64_t> a(order.begin() + b * batch, order.begin() + (b + 1) * batch);
            std::vector<int64_t> pair(a.size());
            for (size_t s = 0; s < a.size(); ++s) // a fresh neighbour at every access
                pair[s] = neighbours[size_t(a[s]) * size_t(k) + random.uniformIndex(uint64_t(k))];
            const torch::Tensor xa = x.index_select(0, torch::tensor(a));
            const torch::Tensor xb = x.index_select(0, torch::tensor(pair));
            const int64_t step = int64_t(epoch) * batches + b;
            const double stepLr = step < warmupSteps ? lr * double(step) / double(warmupSteps) : lr;
            for (auto& group : optimiser.param_groups())
                static_cast<torch::optim::AdamWOptions&>(group.options()).lr(stepLr);
            std::vector<torch::Tensor> ta, tb;
            {
                torch::NoGradGuard noGrad;
                ta = perHead(teacher->forward(xa));
                tb = perHead(teacher->forward(xb));
            }
            std::vector<torch::Tensor> heads;
            const torch::Tensor loss =
                temiLoss(perHead(student->forward(xa)), perHead(student->forward(xb)), ta, tb,
                         priors, o, &heads);
            optimiser.zero_grad();
            loss.backward();
            if (epoch == 0) { // the last layer stays frozen in the first epoch
                student->v.mutable_grad().zero_();
                student->g.mutable_grad().zero_();
            }
            optimiser.step();
            torch::NoGradGuard noGrad;
            for (size_t i = 0; i < student->parameters().size(); ++i)
                teacher->parameters()[i]
                    .mul_(o.teacherMomentum)
                    .add_(student->parameters()[i].detach(), 1.0 - o.teacherMomentum);
            for (auto& prior : priors)
                prior = prior.detach();
            epochLoss += loss.item<double>();
            for (int h = 0; h < o.heads; ++h)
                headLoss[size_t(h)] += heads[size_t(h)].item<double>();
        }
        result.epochLoss.push_back(epochLoss / double(std::max<int64_t>(1, batches)));
        const bool stop = (cancel && cancel->load()) ||
                          (progress && !progress(epoch + 1, o.epochs, result.epochLoss.back()));
        if (stop && epoch + 1 < o.epochs) {
            result.cancelled = true;
            return result;
        }
    }
    result.bestHead = int(std::min_element(headLoss.begin(), headLoss.end()) - headLoss.begin());
    torch::NoGradGuard noGrad;
    const torch::Tensor labels =
        teacher->forward(x).select(0, result.bestHead).argmax(1).contiguous();
    result.labels.assign(labels.data_ptr<int64_t>(), labels.data_ptr<int64_t>() + n);
    return result;
}

} // namespace freesel
