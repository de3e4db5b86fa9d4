#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes the CLIP reference data of tests/backbone/test_clip_model.cpp into tests/data/clip/.

    /usr/bin/python3 tests/generate_clip_reference.py [--out tests/data/clip]

The network below is written from openai/CLIP's published architecture (clip/model.py:
VisionTransformer, Transformer, ResidualAttentionBlock with nn.MultiheadAttention, QuickGELU,
the causal text mask, end-of-text pooling), independently of the C++ code it checks. A small
model (widths 64, two blocks per tower, 8-pixel patches on 32-pixel images, context 16,
vocabulary 300) gets seeded weights rounded to float16, as the official checkpoints store them,
and is written in the two layouts the product reads:
  small_clip_torchscript.pt  TorchScript archive, float16 weights, the official key names;
  small_clip_openclip.bin    torch.save of {"state_dict": ...} with a 'module.' prefix and
                             text_projection as a Linear (transposed), float16.
small_clip_reference.pth holds the inputs and the float32 outputs.
"""
import argparse
import collections
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

VISION_WIDTH, VISION_LAYERS, PATCH, IMAGE = 64, 2, 8, 32
TEXT_WIDTH, TEXT_LAYERS, CONTEXT, VOCAB = 64, 2, 16, 300
EMBED = 32


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class ResidualAttentionBlock(nn.Module):
    def __init__(self, width, heads, attn_mask=None):
        super().__init__()
        self.attn = nn.MultiheadAttention(width, heads)
        self.ln_1 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(collections.OrderedDict([
            ("c_fc", nn.Linear(width, width * 4)), ("gelu", QuickGELU()),
            ("c_proj", nn.Linear(width * 4, width))]))
        self.ln_2 = nn.LayerNorm(width)
        self.attn_mask = attn_mask

    def forward(self, x):  # x: L x N x D, as in CLIP
        y = self.ln_1(x)
        x = x + self.attn(y, y, y, need_weights=True, attn_mask=self.attn_mask)[0]
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(self, width, layers, heads, attn_mask=None):
        super().__init__()
        self.resblocks = nn.Sequential(
            *[ResidualAttentionBlock(width, heads, attn_mask) for _ in range(layers)])

    def forward(self, x):
        return self.resblocks(x)


class VisionTransformer(nn.Module):
    def __init__(self):
        super().__init__()
        w = VISION_WIDTH
        self.conv1 = nn.Conv2d(3, w, kernel_size=PATCH, stride=PATCH, bias=False)
        self.class_embedding = nn.Parameter(torch.zeros(w))
        self.positional_embedding = nn.Parameter(torch.zeros((IMAGE // PATCH) ** 2 + 1, w))
        self.ln_pre = nn.LayerNorm(w)
        self.transformer = Transformer(w, VISION_LAYERS, w // 64)
        self.ln_post = nn.LayerNorm(w)
        self.proj = nn.Parameter(torch.zeros(w, EMBED))

    def forward(self, x):
        x = self.conv1(x).flatten(2).permute(0, 2, 1)  # N x grid^2 x w
        cls = self.class_embedding + torch.zeros(x.shape[0], 1, x.shape[-1])
        x = torch.cat([cls, x], dim=1) + self.positional_embedding
        x = self.ln_pre(x).permute(1, 0, 2)
        x = self.transformer(x).permute(1, 0, 2)
        tokens = self.ln_post(x)
        return tokens[:, 0, :] @ self.proj, tokens


class CLIP(nn.Module):
    def __init__(self):
        super().__init__()
        self.visual = VisionTransformer()
        mask = torch.full((CONTEXT, CONTEXT), float("-inf")).triu_(1)
        self.transformer = Transformer(TEXT_WIDTH, TEXT_LAYERS, TEXT_WIDTH // 64, mask)
        self.token_embedding = nn.Embedding(VOCAB, TEXT_WIDTH)
        self.positional_embedding = nn.Parameter(torch.zeros(CONTEXT, TEXT_WIDTH))
        self.ln_final = nn.LayerNorm(TEXT_WIDTH)
        self.text_projection = nn.Parameter(torch.zeros(TEXT_WIDTH, EMBED))
        self.logit_scale = nn.Parameter(torch.tensor(0.0))

    def encode_text(self, ids):
        x = self.token_embedding(ids) + self.positional_embedding
        x = self.transformer(x.permute(1, 0, 2)).permute(1, 0, 2)
        x = self.ln_final(x)
        return x[torch.arange(x.shape[0]), ids.argmax(dim=-1)] @ self.text_projection


def seeded_weights(model):
    """Every tensor random (LayerNorms around 1), rounded to float16 like the official files."""
    gen = torch.Generator().manual_seed(12)
    with torch.no_grad():
        for name, p in model.named_parameters():
            values = torch.randn(p.shape, generator=gen)
            if name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or \
                    ".ln_" in name and name.endswith("weight") or name.startswith("ln_final.w"):
                values = 1.0 + 0.1 * values
            elif name == "logit_scale":
                values = torch.tensor(4.6052)
            elif name.endswith("bias"):
                values = 0.05 * values
            elif p.dim() >= 2 or name.endswith("embedding"):
                fan_in = p.shape[-1] if p.dim() == 2 else p[0].numel()
                if name in ("visual.proj", "text_projection"):
                    fan_in = p.shape[0]
                if "embedding" in name:
                    fan_in = 1
                values = values / fan_in ** 0.5
            p.copy_(values.half().float())


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=os.path.join(here, "data", "clip"))
    args = parser.parse_args()
    torch.manual_seed(3)
    model = CLIP().eval()
    seeded_weights(model)

    images = torch.randn(2, 3, IMAGE, IMAGE, generator=torch.Generator().manual_seed(5))
    ids = torch.zeros(3, CONTEXT, dtype=torch.int64)
    for row, length in enumerate((5, 9, CONTEXT)):  # the last one fills the context
        body = torch.randint(1, VOCAB - 2, (length - 2,), generator=torch.Generator().manual_seed(row))
        ids[row, :length] = torch.cat([torch.tensor([VOCAB - 2]), body, torch.tensor([VOCAB - 1])])
    captured = {}
    hook = model.visual.transformer.resblocks[-1].attn.register_forward_hook(
        lambda module, inputs, output: captured.update(attention=output[1]))
    with torch.no_grad():
        image_embedding, tokens = model.visual(images)
        attention = captured["attention"]  # N x L x L, the last block's heads averaged
        text_embedding = model.encode_text(ids)
    hook.remove()

    reference = {"images": images, "ids": ids, "image_embedding": image_embedding,
                 "image_tokens": tokens, "image_attention": attention,
                 "text_embedding": text_embedding, "logit_scale": model.logit_scale.detach().exp()}
    torch.save(reference, os.path.join(args.out, "small_clip_reference.pth"))

    # Official layout: TorchScript, float16 parameters (the text mask stays a float attribute).
    state = {k: v.half() for k, v in model.state_dict().items()}
    torch.jit.script(model).save(os.path.join(args.out, "small_clip_torchscript_f32.pt"))
    scripted = torch.jit.load(os.path.join(args.out, "small_clip_torchscript_f32.pt"))
    with torch.no_grad():
        for name, p in scripted.named_parameters():
            p.data = state[name]
    scripted.save(os.path.join(args.out, "small_clip_torchscript.pt"))
    os.remove(os.path.join(args.out, "small_clip_torchscript_f32.pt"))

    # open_clip style: module. prefix, text_projection as a Linear weight (E x W).
    openclip = collections.OrderedDict()
    for k, v in state.items():
        if k == "text_projection":
            openclip["module.text_projection.weight"] = v.t().contiguous()
        else:
            openclip["module." + k] = v
    torch.save({"state_dict": openclip, "epoch": 3}, os.path.join(args.out, "small_clip_openclip.bin"))


if __name__ == "__main__":
    main()
