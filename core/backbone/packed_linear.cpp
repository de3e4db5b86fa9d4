// SPDX-License-Identifier: GPL-3.0-or-later
#include "backbone/packed_linear.h"

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace freesel {

namespace {

// findSchema's optional is c10::optional in LibTorch 1.x and std::optional in 2.x.
using OptionalOp =
    decltype(std::declval<c10::Dispatcher&>().findSchema(std::declval<const c10::OperatorName&>()));

/// The registered op `name` (overload ""), or nothing when this LibTorch lacks it.
OptionalOp findOp(const char* name) {
    return c10::Dispatcher::singleton().findSchema({name, ""});
}

const OptionalOp& prepackOp() {
    static const auto op = findOp("mkldnn_prepacked::conv2d_prepack");
    return op;
}

const OptionalOp& runOp() {
    static const auto op = findOp("mkldnn_prepacked::conv2d_run");
    return op;
}

c10::IValue ints(std::vector<int64_t> values) {
    return c10::IValue(std::move(values));
}

} // namespace

bool PackedLinear::available() {
    return at::hasMKLDNN() && prepackOp().has_value() && runOp().has_value();
}

PackedLinear PackedLinear::pack(const torch::Tensor& weight, const torch::Tensor& bias,
                                int64_t typicalRows) {
    if (weight.dim() != 2 || bias.dim() != 1 || bias.size(0) != weight.size(0))
        throw std::invalid_argument("PackedLinear: weight must be out x in and bias out, got " +
                                    c10::str(weight.sizes(), " and ", bias.sizes()));
    if (!available() || !weight.device().is_cpu())
        return {};
    PackedLinear p;
    p.outFeatures_ = weight.size(0);
    p.inFeatures_ = weight.size(1);
    p.type_ = weight.scalar_type();
    const torch::Tensor w = weight.contiguous().view({p.outFeatures_, p.inFeatures_, 1, 1});
    // conv2d_prepack(W, B, stride, padding, dilation, groups, input_size, attr)
    torch::jit::Stack stack{c10::IValue(w),
                            c10::IValue(bias.to(p.type_).contiguous()),
                            ints({1, 1}),
                            ints({0, 0}),
                            ints({1, 1}),
                            c10::IValue(int64_t(1)),
                            ints({1, p.inFeatures_, std::max<int64_t>(typicalRows, 1), 1}),
                            c10::IValue(std::string("none"))};
    prepackOp()->callBoxed(&stack);
    p.context_ = std::move(stack.at(0));
    return p;
}

torch::Tensor PackedLinear::operator()(const torch::Tensor& x) const {
    if (!defined())
        throw std::invalid_argument("PackedLinear: called on an empty (unpacked) layer");
    if (x.dim() < 1 || x.size(-1) != inFeatures_)
        throw std::invalid_argument("PackedLinear: input must be .. x " +
                                    std::to_string(inFeatures_) + ", got " + c10::str(x.sizes()));
    // rows x in, viewed as the channels-last image 1 x in x rows x 1 (same memory).
    const torch::Tensor image =
        x.to(type_).contiguous().view({1, -1, 1, inFeatures_}).permute({0, 3, 1, 2});
    torch::jit::Stack stack{c10::IValue(image), context_};
    runOp()->callBoxed(&stack);
    // 1 x out x rows x 1 channels-last is rows x out; reshape copies only if oneDNN ever
    // returned the other layout.
    std::vector<int64_t> shape = x.sizes().vec();
    shape.back() = outFeatures_;
    return stack.at(0).toTensor().permute({0, 2, 3, 1}).reshape(shape);
}

} // namespace freesel
