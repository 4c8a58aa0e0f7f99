"""The CE ('baseline') networks of POI Audit, written in PyTorch for bench:speed --vs-torch.

Each net is extractor E + TRN head, exactly as src-main/core/model/backbone.ts and layers.ts build it
(mode 'baseline' of src-main/core/model/config.ts):

- every conv is bias-free, followed by BatchNorm (+ ReLU), with PyTorch's symmetric zero padding k//2;
- 'vgg': stage1 -> maxpool2 -> stage2 -> maxpool2 -> stage3 = F; TRN = maxpool2 -> stage4 (stride 1)
  -> GAP -> FC. Each stage is `convs` x (3x3 conv + BN + ReLU);
- 'slim' / 'resnet18' with the CIFAR stem: 3x3 stride-1 conv + BN + ReLU (no max-pool), layer1..layer3
  of torchvision BasicBlocks (layer2/3 open with stride 2; 1x1-conv + BN shortcut where the shape
  changes) = F; TRN = layer4 with stride 2 -> GAP -> FC.

Parameters are registered in the same order as our ParamRegistry registers its weights (conv, then its
BN's gamma and beta; BasicBlock conv1, bn1, conv2, bn2, down.conv, down.bn; the FC's weight then
bias), so `shapes_in_our_layout` can be compared entry by entry with the tfjs model.
"""
from __future__ import annotations

import torch
from torch import nn


def conv_bn_relu(cin: int, cout: int, k: int = 3, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False),
        nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1),
        nn.ReLU(inplace=True),
    )


def vgg_stage(cin: int, cout: int, convs: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(*[conv_bn_relu(cin if i == 0 else cout, cout, 3, stride if i == 0 else 1) for i in range(convs)])


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, padding=0, bias=False), nn.BatchNorm2d(cout))
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(h))
        sc = self.down(x) if self.down is not None else x
        return self.relu(out + sc)


def res_stage(cin: int, cout: int, blocks: int, stride: int) -> nn.Sequential:
    return nn.Sequential(*[BasicBlock(cin if i == 0 else cout, cout, stride if i == 0 else 1) for i in range(blocks)])


class VggCe(nn.Module):
    """backbone 'vgg': widths w1..w4, `convs` convs per stage; F after stage 3 at H/4."""

    def __init__(self, channels: int, classes: int, widths: list[int], convs: int) -> None:
        super().__init__()
        w1, w2, w3, w4 = widths
        self.stage1 = vgg_stage(channels, w1, convs)
        self.stage2 = vgg_stage(w1, w2, convs)
        self.stage3 = vgg_stage(w2, w3, convs)
        self.trn_stage = vgg_stage(w3, w4, convs)
        self.fc = nn.Linear(w4, classes)
        self.pool = nn.MaxPool2d(2, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.stage3(self.pool(self.stage2(self.pool(self.stage1(x)))))
        h = self.trn_stage(self.pool(f))
        return self.fc(h.mean(dim=(2, 3)))


class ResnetCe(nn.Module):
    """backbone 'slim' / 'resnet18' with stem 'cifar': F = layer3's output; TRN layer4 at stride 2."""

    def __init__(self, channels: int, classes: int, widths: list[int], blocks: list[int]) -> None:
        super().__init__()
        w1, w2, w3, w4 = widths
        self.stem = conv_bn_relu(channels, w1, 3, 1)
        self.layer1 = res_stage(w1, w1, blocks[0], 1)
        self.layer2 = res_stage(w1, w2, blocks[1], 2)
        self.layer3 = res_stage(w2, w3, blocks[2], 2)
        self.trn_stage = res_stage(w3, w4, blocks[3], 2)
        self.fc = nn.Linear(w4, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.layer3(self.layer2(self.layer1(self.stem(x))))
        return self.fc(self.trn_stage(f).mean(dim=(2, 3)))


def build(spec: dict, channels: int, classes: int) -> nn.Module:
    """spec: {'kind': 'vgg', 'widths': [...], 'convs': n} or {'kind': 'resnet', 'stem': 'cifar', 'widths', 'blocks'}."""
    if spec["kind"] == "vgg":
        return VggCe(channels, classes, spec["widths"], spec["convs"])
    if spec["kind"] == "resnet":
        if spec["stem"] != "cifar":
            raise ValueError(f"bench/torch/nets.py builds the CIFAR stem only, got stem {spec['stem']!r}")
        return ResnetCe(channels, classes, spec["widths"], spec["blocks"])
    raise ValueError(f"unknown net kind {spec['kind']!r}")


def shapes_in_our_layout(model: nn.Module) -> list[list[int]]:
    """Every learnable tensor's shape as our tfjs code stores it: conv [kh, kw, cin, cout], FC weight
    [cin, cout], everything else unchanged; in registration order."""
    out = []
    for p in model.parameters():
        s = list(p.shape)
        if len(s) == 4:
            s = [s[2], s[3], s[1], s[0]]
        elif len(s) == 2:
            s = [s[1], s[0]]
        out.append(s)
    return out
